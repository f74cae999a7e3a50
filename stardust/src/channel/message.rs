//! What a channel carries: bytes ([`Raw`]) or values of one serde type, encoded with
//! postcard (docs/PROTOCOL.md, "Typed messages").

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{self, Encoder};
use crate::messages::SendError;

/// The message type of a channel declared without `message = …`: its messages are bytes,
/// sent as anything `Into<Bytes>` and read as `&Bytes`.
///
/// Uninhabited: it only names the kind of channel, no value of it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Raw {}
    impl<M: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static> Sealed for M {}
}

/// What a channel's messages are: [`Raw`] bytes, or any type that implements serde's
/// `Serialize` and `Deserialize` (and is `Send + Sync + 'static`).
///
/// Implemented by Stardust for exactly those types; `#[derive(Channel)]` picks the one named
/// by `message = …`. A typed message travels as its postcard encoding, and only a payload
/// that is exactly one valid encoding reaches readers: anything else is dropped at dispatch
/// and counted in [`PeerStats::dropped_undecodable`](crate::peer::PeerStats).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a channel message",
    label = "not `Serialize + Deserialize`",
    note = "derive `serde::Serialize` and `serde::Deserialize` for `{Self}` (and make it `Send + Sync + 'static`), or drop `message = …` to send bytes"
)]
pub trait ChannelMessage: sealed::Sealed + Send + Sync + 'static {
    /// What a [`ChannelReader`](crate::messages::ChannelReader) yields for one message:
    /// `&Bytes` for [`Raw`], an owned decoded value for typed channels.
    type Read<'a>;

    /// The payload as a reader sees it; `None` only for a payload the dispatch check
    /// rejected.
    #[doc(hidden)]
    fn read(payload: &Bytes) -> Option<Self::Read<'_>>;

    /// The payload's encoding for `channel`, cut from `encoder`; refused above `max_size`.
    #[doc(hidden)]
    fn encode(
        &self,
        channel: &'static str,
        max_size: u32,
        encoder: &mut Encoder,
    ) -> Result<Bytes, SendError>;

    /// Run on every received payload at dispatch: `false` drops it as undecodable. `None`
    /// for byte channels, which accept any payload.
    #[doc(hidden)]
    const CHECK: Option<fn(&[u8]) -> bool>;
}

impl ChannelMessage for Raw {
    type Read<'a> = &'a Bytes;

    fn read(payload: &Bytes) -> Option<&Bytes> {
        Some(payload)
    }

    fn encode(&self, _: &'static str, _: u32, _: &mut Encoder) -> Result<Bytes, SendError> {
        match *self {}
    }

    const CHECK: Option<fn(&[u8]) -> bool> = None;
}

impl<M: Serialize + DeserializeOwned + Send + Sync + 'static> ChannelMessage for M {
    type Read<'a> = M;

    fn read(payload: &Bytes) -> Option<M> {
        codec::decode(payload)
    }

    fn encode(
        &self,
        channel: &'static str,
        max_size: u32,
        encoder: &mut Encoder,
    ) -> Result<Bytes, SendError> {
        codec::encode(self, encoder, max_size).map_err(|failure| failure.into_send_error(channel))
    }

    const CHECK: Option<fn(&[u8]) -> bool> = Some(codec::decodes::<M>);
}

/// What [`ChannelWriter`](crate::messages::ChannelWriter) accepts for a channel whose
/// messages are `M`: anything `Into<Bytes>` on a byte channel, `&M` on a typed one.
#[diagnostic::on_unimplemented(
    message = "this channel's messages are `{M}`, which `{Self}` is not",
    label = "expected a reference to the channel's message type (or bytes on a byte channel)",
    note = "a channel declared with `message = T` sends `&T`; one without `message` sends anything `Into<Bytes>` (`&[u8]`, `Vec<u8>`, `String`, `Bytes`)"
)]
pub trait IntoMessage<'a, M: ChannelMessage> {
    /// The message, ready to be encoded.
    #[doc(hidden)]
    fn into_message(self) -> Outgoing<'a, M>;
}

/// A message on its way to a channel's queue.
#[doc(hidden)]
#[derive(Debug)]
pub enum Outgoing<'a, M> {
    /// A byte channel's payload.
    Bytes(Bytes),
    /// A typed channel's value, still to be encoded.
    Value(&'a M),
}

impl<T: Into<Bytes>> IntoMessage<'_, Raw> for T {
    fn into_message(self) -> Outgoing<'static, Raw> {
        Outgoing::Bytes(self.into())
    }
}

impl<'a, M: Serialize + DeserializeOwned + Send + Sync + 'static> IntoMessage<'a, M> for &'a M {
    fn into_message(self) -> Outgoing<'a, M> {
        Outgoing::Value(self)
    }
}
