//! Live verification of credentials (AWS STS GetCallerIdentity).

mod account;
mod canary;
mod response;
mod sign;
mod sts;

pub use account::aws_account_id;
pub use canary::{Canaries, InvalidAccountId};
pub use sign::{signed_form_post, AwsCredentials, SignError, FORM_CONTENT_TYPE};
pub use sts::{StsClient, StsConfig, StsConfigError, GET_CALLER_IDENTITY};
