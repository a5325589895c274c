//! Identity state in the control plane: users, memberships, sessions,
//! throttles, one-time codes, pending signups, signing keys, security
//! events. Every limit that security depends on is enforced by a single
//! atomic statement here, so it holds across processes and under
//! concurrent requests.

pub mod api_tokens;
pub mod codes;
pub mod deletion;
pub mod events;
pub mod invitations;
pub mod members;
pub mod sessions;
pub mod signing;
pub mod throttle;
pub mod totp;
pub mod users;
