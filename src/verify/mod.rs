//! Live verification of credentials (AWS STS GetCallerIdentity).

mod account;
mod canary;

pub use account::aws_account_id;
pub use canary::{Canaries, InvalidAccountId};
