//! `vmhost inspect`: head, waves, receipts, accounts, contracts, storage, compiled artifacts.

use anyhow::{Context, Result};
use clap::Subcommand;
use vmhost::state::Column;
use vmhost::ChainConfig;
use vmhost_abi::Address;

use crate::chain::{open, parse_address, print_receipt};

#[derive(Subcommand, Debug)]
pub enum What {
    /// The committed head (last wave, root, JMT version).
    Head,
    /// A wave's commit record and receipts.
    Wave {
        /// Wave id.
        id: u64,
    },
    /// An account: hex address or a test-account index.
    Account {
        /// Address (hex) or index.
        who: String,
    },
    /// A contract record.
    Contract {
        /// Contract address (hex).
        address: String,
    },
    /// A contract storage slot.
    Storage {
        /// Contract address (hex).
        address: String,
        /// 32-byte slot (hex).
        slot: String,
    },
    /// Compiled artifacts in the store (artifact tag, code hash, size) and the module cache.
    Modules,
}

fn who(s: &str) -> Result<Address> {
    match s.parse::<u64>() {
        Ok(i) => Ok(Address::from_index(i)),
        Err(_) => parse_address(s),
    }
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
            for (i, r) in chain.receipts(id)?.iter().enumerate() {
                print_receipt(&format!("tx {i}"), r);
            }
        }
        What::Account { who: w } => {
            let a = who(&w)?;
            let acct = chain.account(&a)?;
            println!("{a}\n  balance {}\n  nonce   {}", acct.balance, acct.nonce);
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
        What::Storage { address, slot } => {
            let a = parse_address(&address)?;
            let s: [u8; 32] = hex::decode(slot.trim_start_matches("0x"))?
                .try_into()
                .map_err(|_| anyhow::anyhow!("slot must be 32 bytes"))?;
            match chain.storage(&a, &s)? {
                Some(v) => println!("{}", hex::encode(v)),
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
