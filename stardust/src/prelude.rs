//! Everything a game needs: `use stardust::prelude::*;`.

pub use crate::channel::{
    Channel, ChannelConfig, ChannelId, ChannelRegistry, Ordering, ProtocolHash, Reliability,
    RuntimeChannelError,
};
pub use crate::conditioner::{Conditions, NetworkConditioner};
pub use crate::link::{Link, LinkPlugin};
pub use crate::messages::{
    ChannelReader, ChannelReaderById, ChannelWriter, ChannelWriterById, SendError,
    UnknownChannelError,
};
pub use crate::peer::{
    DisconnectInitiator, DisconnectReason, Peer, PeerCommandsExt, PeerConnected, PeerDisconnected,
    PeerState, PeerStats, any_peer_connected, peer_connected, peer_disconnected,
};
pub use crate::plugin::{ChannelAppExt, RuntimeChannelAppExt, StardustPlugin, StardustSet};
pub use crate::udp::{
    AcceptPolicy, Identity, ResolveError, UdpBindFailure, UdpConfig, UdpConnectExt,
    UdpConnectOptions, UdpConnectRejected, UdpDirection, UdpPeer, UdpPeerStats, UdpPlugin,
    UdpSecurity, UdpTransport, resolve_udp_addr,
};
pub use stardust_proto::crypto::PublicKey;
