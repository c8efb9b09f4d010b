//! Live verification of credentials (AWS STS GetCallerIdentity).
