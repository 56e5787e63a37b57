//! Access lists through wasm contracts: split reads and writes, enforced at every depth,
//! checked at ingress, charged per entry.

use vmhost_abi::{keys, AccessList, Address, ErrorCode, NativeTx, Receipt, ReceiptStatus, StateKey, TxKind};
use vmhost_tests::{corpus, user};

use crate::wasm_examples::Env;

const SLOT: [u8; 32] = [1; 32];

struct Relays {
    env: Env,
    a: Address,
    b: Address,
    c: Address,
    code: StateKey,
}

fn relays() -> Relays {
    let mut env = Env::new();
    let code = corpus("relay");
    let code_key = keys::code(blake3::hash(&code).as_bytes());
    let (a, b, c) = (env.deploy(code.clone()), env.deploy(code.clone()), env.deploy(code));
    let n = env.nonce(3);
    let fund = vmhost::testing::transfer(user(3), n, c, 1_000);
    assert!(env.run(vec![fund])[0].is_success());
    Relays { env, a, b, c, code: code_key }
}

impl Relays {
    /// What every call of user 2 into `targets` must declare: the sender's account, the
    /// contracts' records and their code.
    fn base(&self, targets: &[Address]) -> AccessList {
        let mut list = AccessList::new().write(keys::account(&user(2))).read(self.code);
        for t in targets {
            list = list.read(keys::contract(t));
        }
        list
    }

    fn call(&mut self, contract: Address, entry: &str, input: Vec<u8>, list: Option<AccessList>) -> Receipt {
        let n = self.env.nonce(2);
        let mut tx = vmhost_tests::call(user(2), n, contract, entry, input);
        tx.access_list = list;
        self.env.run(vec![tx]).remove(0)
    }
}

fn violation(r: &Receipt) {
    assert_eq!((r.status, r.code), (ReceiptStatus::Trapped, ErrorCode::AccessListViolation), "{r:?}");
}

#[test]
fn undeclared_read_and_write_and_a_write_to_a_read_only_key_trap() {
    let mut t = relays();
    let a = t.a;
    let slot = keys::storage(&a, &SLOT);
    violation(&t.call(a, "read", vec![], Some(t.base(&[a]))));
    assert!(t.call(a, "read", vec![], Some(t.base(&[a]).read(slot))).is_success());
    violation(&t.call(a, "write", vec![], Some(t.base(&[a]))));
    violation(&t.call(a, "write", vec![], Some(t.base(&[a]).read(slot))));
    assert!(t.call(a, "write", vec![], Some(t.base(&[a]).write(slot))).is_success());
    // Without a list, anything goes.
    assert!(t.call(a, "write", vec![], None).is_success());
}

fn relay_input(hops: &[Address], recipient: Address) -> Vec<u8> {
    let mut v = vec![hops.len() as u8];
    for h in hops {
        v.extend_from_slice(&h.0);
    }
    v.extend_from_slice(&recipient.0);
    v
}

#[test]
fn undeclared_value_transfer_at_depth_three_fails_the_whole_transaction() {
    let mut t = relays();
    let (a, b, c) = (t.a, t.b, t.c);
    let recipient = user(99);
    let input = relay_input(&[b, c], recipient);
    let declared = t.base(&[a, b, c]).write(keys::account(&c));
    // The transfer at depth 3 names an account the list does not: the whole transaction fails
    // with the violation, whatever its callers do with their callees' codes.
    let r = t.call(a, "relay", input.clone(), Some(declared.clone()));
    violation(&r);
    assert_eq!(t.env.chain.account(&recipient).unwrap().balance, 0);
    let ok = t.call(a, "relay", input.clone(), Some(declared.write(keys::account(&recipient))));
    assert!(ok.is_success(), "{ok:?}");
    assert_eq!(t.env.chain.account(&recipient).unwrap().balance, 1);
    // A callee whose record is not declared is an undeclared read too.
    violation(&t.call(a, "relay", input, Some(t.base(&[a, b]).write(keys::account(&c)))));
}

#[test]
fn ingress_requires_the_sender_and_the_target_and_caps_the_list() {
    let mut t = relays();
    let a = t.a;
    let invalid =
        |r: &Receipt| assert_eq!((r.status, r.code), (ReceiptStatus::Invalid, ErrorCode::BadAccessList), "{r:?}");
    invalid(&t.call(a, "read", vec![], Some(AccessList::new().read(keys::contract(&a)))));
    invalid(&t.call(a, "read", vec![], Some(AccessList::new().write(keys::account(&user(2))))));
    let too_many = (0..1025u32).fold(t.base(&[a]), |l, i| l.read(keys::storage(&a, &[i as u8; 32])));
    invalid(&t.call(a, "read", vec![], Some(too_many)));
    // A deploy must declare its record and code; a native transaction what its handler touches.
    let code = corpus("relay");
    let n = t.env.nonce(2);
    let mut deploy = vmhost_tests::deploy(user(2), n, code.clone());
    deploy.access_list = Some(AccessList::new().write(keys::account(&user(2))));
    invalid(&t.env.run(vec![deploy.clone()]).remove(0));
    let address = Address::contract(&user(2), n);
    deploy.access_list = Some(
        AccessList::new()
            .write(keys::account(&user(2)))
            .write(keys::contract(&address))
            .write(keys::code(blake3::hash(&code).as_bytes())),
    );
    assert!(t.env.run(vec![deploy]).remove(0).is_success());
    let n = t.env.nonce(2);
    let mut native = vmhost::testing::tx(user(2), n, TxKind::Native(NativeTx::Transfer { to: user(9), amount: 1 }));
    native.access_list = Some(AccessList::new().write(keys::account(&user(2))));
    invalid(&t.env.run(vec![native]).remove(0));
}

#[test]
fn every_access_list_entry_is_charged() {
    let mut t = relays();
    let a = t.a;
    let slot = keys::storage(&a, &SLOT);
    let without = t.call(a, "read", vec![], None);
    let list = t.base(&[a]).read(slot);
    let entries = list.len() as u64;
    let with = t.call(a, "read", vec![], Some(list));
    assert!(with.is_success());
    assert_eq!(with.gas_used - without.gas_used, entries * vmhost_abi::gas::ACCESS_LIST_KEY_GAS);
    // Repeated entries are charged too (what is declared is what is paid for).
    let doubled = t.base(&[a]).read(slot).read(slot);
    let r = t.call(a, "read", vec![], Some(doubled));
    assert_eq!(r.gas_used - with.gas_used, vmhost_abi::gas::ACCESS_LIST_KEY_GAS);
}
