/*
 * counter.c — the vmhost counter contract in C, byte for byte the behaviour of the Rust
 * counter (examples/contracts/counter) and of examples/wat/counter.wat:
 *
 *   increment: value = value + 1 (wrapping u64); store it; emit an event with topic
 *              blake3("Incremented") and data = value (8 bytes LE); return value (8 bytes LE).
 *   get:       return value (8 bytes LE; 0 before the first increment).
 *
 * Storage: one slot, self_address[..16] ‖ blake3(0x00 ‖ "counter")[..16] (the SDK's
 * slot(0, "counter") layout), holding the value as 8 little-endian bytes. A slot of any
 * other length reverts with "slot is not a u64", as the Rust SDK's read_u64 does.
 *
 * No libc (-nostdlib): the only imports are the vmhost host functions declared below, and
 * copies are written with __builtin_memcpy of constant sizes, which clang expands inline
 * (a call to memcpy would otherwise need an import). Build with ./build.sh.
 * WebAssembly is little-endian, so a u64 in memory already is its 8-byte LE encoding.
 */

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

/* ---- host functions (module "vmhost"; signatures from abi/src/hostfns.rs) -------------- */

#define VMHOST_IMPORT(name) __attribute__((import_module("vmhost"), import_name(#name)))
#define ENTRY(name) __attribute__((export_name(#name)))

VMHOST_IMPORT(sload) int vmhost_sload(const u8 *key, u8 *out, u32 out_cap);
VMHOST_IMPORT(sstore) void vmhost_sstore(const u8 *key, const u8 *val, u32 val_len);
VMHOST_IMPORT(emit_event) void vmhost_emit_event(const u8 *topic, const u8 *data, u32 len);
VMHOST_IMPORT(set_return) void vmhost_set_return(const u8 *data, u32 len);
VMHOST_IMPORT(revert) void vmhost_revert(const u8 *reason, u32 len);
VMHOST_IMPORT(hash_blake3) void vmhost_hash_blake3(const u8 *in, u32 in_len, u8 *out);
VMHOST_IMPORT(self_address) void vmhost_self_address(u8 *out);

/* ---- storage layout ------------------------------------------------------------------ */

/* disc 0 followed by the key "counter": the preimage of the slot hash (8 bytes). */
static const u8 COUNTER_PREIMAGE[8] = {0, 'c', 'o', 'u', 'n', 't', 'e', 'r'};
/* Event name, hashed into the topic (11 bytes, no terminator). */
static const u8 INCREMENTED[11] = {'I', 'n', 'c', 'r', 'e', 'm', 'e', 'n', 't', 'e', 'd'};
static const u8 NOT_A_U64[17] = "slot is not a u64"; /* exactly 17 bytes: no NUL kept */

/* self_address[..16] ‖ blake3(0x00 ‖ "counter")[..16]. Same host-call order as the SDK. */
static void counter_slot(u8 slot[32]) {
    u8 hash[32], self[32];
    vmhost_hash_blake3(COUNTER_PREIMAGE, sizeof COUNTER_PREIMAGE, hash);
    vmhost_self_address(self);
    __builtin_memcpy(slot, self, 16);
    __builtin_memcpy(slot + 16, hash, 16);
}

/* The stored value; 0 if the slot is empty. */
static u64 load_value(const u8 slot[32]) {
    u64 value = 0;
    int len = vmhost_sload(slot, (u8 *)&value, sizeof value);
    if (len < 0) {
        return 0;
    }
    if (len != (int)sizeof value) {
        vmhost_revert(NOT_A_U64, sizeof NOT_A_U64);
        __builtin_unreachable();
    }
    return value;
}

/* ---- entry points: exported () -> () functions ---------------------------------------- */

ENTRY(increment) void increment(void) {
    u8 slot[32], topic[32];
    counter_slot(slot);
    u64 value = load_value(slot) + 1; /* unsigned: wraps at 2^64 like the Rust version */
    vmhost_sstore(slot, (const u8 *)&value, sizeof value);
    vmhost_hash_blake3(INCREMENTED, sizeof INCREMENTED, topic);
    vmhost_emit_event(topic, (const u8 *)&value, sizeof value);
    vmhost_set_return((const u8 *)&value, sizeof value);
}

ENTRY(get) void get(void) {
    u8 slot[32];
    counter_slot(slot);
    u64 value = load_value(slot);
    vmhost_set_return((const u8 *)&value, sizeof value);
}
