//! `vmhost inspect`: head, waves, receipts, accounts, contracts, storage, compiled artifacts.

use anyhow::{Context, Result};
use clap::Subcommand;
use vmhost::state::Column;
use vmhost::ChainConfig;
use vmhost_abi::Address;

use crate::chain::{open, parse_account, parse_address, parse_hex, print_receipt};

#[derive(Subcommand, Debug)]
pub enum What {
    /// The committed head (last wave, root, JMT version).
    Head,
    /// A wave's commit record and receipts.
    Wave {
        /// Wave id.
        id: u64,
    },
    /// An account: hex address or a test-account index; with `--proof`, its value with a
    /// proof against the state root, checked here with nothing but the root.
    Account {
        /// Address (hex) or index.
        who: String,
        /// Print the proof (shard roots, the JMT path) and verify it.
        #[arg(long)]
        proof: bool,
        /// The state after this wave instead of the head (within the node's pruning window).
        #[arg(long, requires = "proof")]
        wave: Option<u64>,
    },
    /// A contract record.
    Contract {
        /// Contract address (hex).
        address: String,
    },
    /// A contract's storage: one slot (by its 32-byte slot, or derived from a mapping key with
    /// the SDK's `slot(disc, key)` layout, as the host's `keys::slot` computes it), or with
    /// `--all` every non-empty slot (from the node's local slot index).
    #[command(verbatim_doc_comment)]
    Storage {
        /// Contract address (hex).
        address: String,
        /// 32-byte slot (hex): the key the contract passes to `sload`/`sstore`.
        slot: Option<String>,
        /// Derive the slot from this mapping key (hex): `contract[..16] ‖ BLAKE3(disc ‖ key)[..16]`.
        #[arg(long, conflicts_with_all = ["slot", "key", "all"])]
        key_hex: Option<String>,
        /// Derive the slot from this mapping key given as text (e.g. `total_supply`).
        #[arg(long, conflicts_with_all = ["slot", "all"])]
        key: Option<String>,
        /// The mapping number of `--key-hex`/`--key` (the token: 0 balances, 1 allowances, 2 meta).
        #[arg(long, default_value_t = 0)]
        disc: u8,
        /// List every non-empty slot: one prefix scan of the node-local slot index plus one
        /// state read per slot. The index is not consensus state.
        #[arg(long, conflicts_with = "slot")]
        all: bool,
        /// At most this many slots with `--all`.
        #[arg(long, default_value_t = 1_000)]
        limit: usize,
    },
    /// Compiled artifacts in the store (artifact tag, code hash, size) and the module cache.
    Modules,
}

fn who(s: &str) -> Result<Address> {
    parse_account(s)
}

pub fn run(cfg: &ChainConfig, what: What) -> Result<()> {
    let chain = open(cfg)?;
    match what {
        What::Head => {
            let h = chain.head();
            let or_dash = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
            println!("last wave    {}", or_dash(h.last_wave));
            println!("height       {}", h.height);
            println!("waves        {}", h.waves);
            println!("jmt version  {}", or_dash(h.jmt_version));
            println!("state root   {}", hex::encode(h.state_root));
        }
        What::Wave { id } => {
            let rec = chain.wave_record(id)?.with_context(|| format!("wave {id} not committed"))?;
            println!("wave {} height {} txs {} gas {}", rec.wave_id, rec.height, rec.tx_count, rec.gas_used);
            println!("  state root    {}", hex::encode(rec.state_root));
            println!("  events root   {}", hex::encode(rec.events_root));
            println!("  receipts root {}", hex::encode(rec.receipts_root));
            println!("  events bloom  {}..", hex::encode(&rec.events_bloom[..16.min(rec.events_bloom.len())]));
            let notes = chain.notes(id)?;
            for (i, r) in chain.receipts(id)?.iter().enumerate() {
                print_receipt(&format!("tx {i}"), r, notes.get(i).and_then(|n| n.as_deref()));
            }
        }
        What::Account { who: w, proof: false, .. } => {
            let a = who(&w)?;
            let acct = chain.account(&a)?;
            println!("{a}\n  balance {}\n  nonce   {}", acct.balance, acct.nonce);
        }
        What::Account { who: w, proof: true, wave } => {
            let a = who(&w)?;
            let key = vmhost_abi::keys::account(&a);
            let p = chain.prove(&key, wave)?;
            let at = p.wave.map_or_else(|| "genesis".to_string(), |w| format!("wave {w}"));
            println!("{a} at {at}");
            match &p.value {
                Some(v) => {
                    let acct = vmhost::accounts::decode(v)?;
                    println!("  balance {}\n  nonce   {}", acct.balance, acct.nonce);
                }
                None => println!("  no account (the proof shows the key absent)"),
            }
            let kh = vmhost::state::commit::key_hash(&key);
            let shard = vmhost::state::commit::shard_of(&kh);
            println!("  state key   {}", hex::encode(key.0));
            println!("  key hash    {} (shard {shard})", hex::encode(kh.0));
            println!("  state root  {}", hex::encode(p.state_root));
            for (i, r) in p.proof.shard_roots.iter().enumerate() {
                let mark = if i == shard { "  <- the key's shard" } else { "" };
                println!("  shard {i:>2}    {}{mark}", hex::encode(r));
            }
            let bytes = borsh::to_vec(&p.proof)?;
            println!("  proof       {} bytes (borsh): 0x{}", bytes.len(), hex::encode(&bytes));
            vmhost::state::commit::verify_proof(&p.state_root, &key, p.value.as_deref(), &p.proof)
                .context("the proof does not verify")?;
            println!("  verified against the state root");
        }
        What::Contract { address } => {
            let a = parse_address(&address)?;
            match chain.contract(&a)? {
                Some(c) => {
                    println!(
                        "{a}\n  type {}\n  code hash {}\n  owner {}\n  deposit {}\n  parachain {}\n  code version {}",
                        c.vm,
                        hex::encode(c.code_hash),
                        c.owner,
                        c.deposit,
                        c.parachain,
                        c.code_version
                    );
                    println!("  non-reentrant {}\n  upgrades renounced {}", c.non_reentrant, c.upgrades_renounced);
                    if let Some(p) = c.pending_upgrade {
                        let state = match chain.head().last_wave {
                            Some(w) if w >= p.activates_at_wave => "in effect",
                            _ => "pending",
                        };
                        println!(
                            "  upgrade {state}: code {} proposed at wave {}, runs from wave {}",
                            hex::encode(p.code_hash),
                            p.proposed_at_wave,
                            p.activates_at_wave
                        );
                    }
                }
                None => println!("no contract at {a}"),
            }
        }
        What::Storage { address, slot, key_hex, key, disc, all, limit } => {
            let a = parse_address(&address)?;
            let show = |v: &[u8]| if v.is_empty() { "(empty value)".to_string() } else { hex::encode(v) };
            if all {
                let slots = chain.storage_slots(&a, limit)?;
                println!("{} slots of {a}", slots.len());
                for (slot, v) in slots {
                    println!("  {}  {}", hex::encode(slot), show(&v));
                }
                return Ok(());
            }
            let slot: [u8; 32] = match (slot, key_hex, key) {
                (Some(s), None, None) => {
                    parse_hex(&s)?.try_into().map_err(|_| anyhow::anyhow!("slot must be 32 bytes"))?
                }
                (None, Some(k), None) => vmhost_abi::keys::slot(&a, disc, &parse_hex(&k)?),
                (None, None, Some(k)) => vmhost_abi::keys::slot(&a, disc, k.as_bytes()),
                _ => anyhow::bail!("give a slot, --key-hex, --key or --all"),
            };
            println!("slot  {}", hex::encode(slot));
            match chain.storage(&a, &slot)? {
                Some(v) => {
                    let as_int = match v.len() {
                        8 => format!("  (u64 LE {})", u64::from_le_bytes(v[..].try_into().unwrap_or_default())),
                        16 => format!("  (u128 LE {})", u128::from_le_bytes(v[..].try_into().unwrap_or_default())),
                        _ => String::new(),
                    };
                    println!("value {}{as_int}", show(&v));
                }
                None => println!("(empty)"),
            }
        }
        What::Modules => {
            let rows = chain.env().store().scan_prefix(Column::Artifacts, &[], 10_000)?;
            println!("{} stored artifacts", rows.len());
            for (k, v) in rows {
                if k.len() == 64 {
                    println!("  tag {}.. code {} {:>8} bytes", hex::encode(&k[..6]), hex::encode(&k[32..]), v.len());
                }
            }
            let st = chain.env().modules.stats();
            println!(
                "module cache (this process): {} hits, {} shared, {} loads, {} recompiles, {} bad artifacts",
                st.hits, st.shared, st.loads, st.recompiles, st.bad_artifacts
            );
        }
    }
    Ok(())
}
