//! A secure listener refuses an insecure client, and an insecure listener a secure one, with
//! reason 9 (`security mismatch`) saying which the listener is; the client ends at once with
//! that reason, not a timeout.

use stardust::prelude::*;
use stardust::proto::ReasonCode;
use stardust::udp::UdpSecurity;

use crate::scenarios::*;
use crate::support::*;

fn refusal(listener_security: UdpSecurity, client_security: UdpSecurity) -> DisconnectReason {
    let mut listener =
        app_with(UdpConfig { security: listener_security, ..UdpConfig::loopback(1) });
    let mut client = app_with(UdpConfig { security: client_security, ..UdpConfig::default() });
    let peer = connect(&mut client, listen_addr(&listener));
    let ended = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        disconnect_reason(apps[1], peer).is_some()
    });
    assert!(ended, "the client is still waiting");
    assert!(connected_accepted(&mut listener).is_empty());
    disconnect_reason(&client, peer).unwrap()
}

#[test]
fn each_side_refuses_the_other_mode_naming_it() {
    let reason = refusal(UdpSecurity::Secure, UdpSecurity::Insecure);
    assert_eq!(
        reason,
        DisconnectReason::Rejected {
            code: ReasonCode::SECURITY_MISMATCH.0,
            data: br#"{"secure":true}"#.to_vec()
        }
    );
    assert!(reason.to_string().contains("security mismatch"), "{reason}");
    let reason = refusal(UdpSecurity::Insecure, UdpSecurity::Secure);
    assert_eq!(
        reason,
        DisconnectReason::Rejected {
            code: ReasonCode::SECURITY_MISMATCH.0,
            data: br#"{"secure":false}"#.to_vec()
        }
    );
}
