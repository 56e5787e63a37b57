//! Re-entrancy: allowed by default (EVM-like: a contract may be entered again while it is on
//! the call stack), refused with `Reentrancy` for a contract that declared `non_reentrant` at
//! deploy, however the loop closes (directly, through another contract, through a library
//! running in its context with `delegate_call`).

use vmhost_abi::{Address, ContractType, ErrorCode, TxKind};
use vmhost_tests::{corpus, user};

use crate::wasm_examples::Env;

fn deploy(env: &mut Env, non_reentrant: bool) -> Address {
    let n = env.nonce(1);
    let kind = TxKind::ContractDeploy {
        vm: ContractType::Wasm,
        code: corpus("forward"),
        deposit: 0,
        parachain: false,
        non_reentrant,
    };
    let r = env.run(vec![vmhost::testing::tx(user(1), n, kind)]).remove(0);
    assert!(r.is_success(), "{r:?}");
    r.contract_address.unwrap()
}

/// `call` / `delegate` input: target ‖ entry length ‖ entry ‖ inner input.
fn fwd(target: Address, entry: &str, inner: Vec<u8>) -> Vec<u8> {
    let mut v = target.0.to_vec();
    v.push(entry.len() as u8);
    v.extend_from_slice(entry.as_bytes());
    v.extend(inner);
    v
}

fn code(data: &[u8]) -> u32 {
    u32::from_le_bytes(data[..4].try_into().unwrap())
}

#[test]
fn re_entry_is_allowed_by_default() {
    let mut env = Env::new();
    let a = deploy(&mut env, false);
    let r = env.call(2, a, "call", fwd(a, "ping", vec![]));
    assert!(r.is_success(), "{r:?}");
    assert_eq!(r.return_data, [&0u32.to_le_bytes()[..], b"pong"].concat(), "a direct self-call re-enters");
}

#[test]
fn a_non_reentrant_contract_refuses_a_direct_re_entry_with_reentrancy() {
    let mut env = Env::new();
    let x = deploy(&mut env, true);
    assert!(env.chain.contract(&x).unwrap().unwrap().non_reentrant);
    let r = env.call(2, x, "call", fwd(x, "ping", vec![]));
    assert!(r.is_success(), "the caller sees the code and goes on: {r:?}");
    assert_eq!(code(&r.return_data), ErrorCode::Reentrancy.as_u32());
    // Entered once, from outside, it runs as any contract.
    let y = deploy(&mut env, false);
    let r = env.call(2, y, "call", fwd(x, "ping", vec![]));
    assert_eq!(r.return_data, [&0u32.to_le_bytes()[..], b"pong"].concat());
}

#[test]
fn a_non_reentrant_contract_refuses_re_entry_through_another_contract_and_through_a_library() {
    let mut env = Env::new();
    let x = deploy(&mut env, true);
    let y = deploy(&mut env, false);
    // x → y → x.
    let r = env.call(2, x, "call", fwd(y, "call", fwd(x, "ping", vec![])));
    assert_eq!(code(&r.return_data), 0, "y ran: {r:?}");
    assert_eq!(code(&r.return_data[4..]), ErrorCode::Reentrancy.as_u32(), "y could not enter x");
    // x runs y's code in its own context (delegate), and that code calls x.
    let r = env.call(2, x, "delegate", fwd(y, "call", fwd(x, "ping", vec![])));
    assert_eq!(code(&r.return_data), 0, "{r:?}");
    assert_eq!(code(&r.return_data[4..]), ErrorCode::Reentrancy.as_u32(), "a library cannot re-enter either");
    // The same loop through a default contract re-enters.
    let z = deploy(&mut env, false);
    let r = env.call(2, z, "call", fwd(y, "call", fwd(z, "ping", vec![])));
    assert_eq!(r.return_data, [&0u32.to_le_bytes()[..], &0u32.to_le_bytes()[..], b"pong"].concat());
}
