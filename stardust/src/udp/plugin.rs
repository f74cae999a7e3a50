//! [`UdpPlugin`]: binds the sockets and adds the transport's systems; [`UdpBindFailure`] when
//! the sockets could not be bound.

use bevy::app::{App, Plugin, PostUpdate, PreUpdate};
use bevy::diagnostic::{DiagnosticsStore, RegisterDiagnostic};
use bevy::ecs::resource::Resource;
use bevy::ecs::schedule::IntoScheduleConfigs;

use super::config::UdpConfig;
use super::diagnostics::UdpDiagnostics;
use super::peer::UdpConnectRejected;
use super::security::UdpSecurity;
use super::systems::{receive, send};
use super::transport::{UdpBindError, UdpTransport};
use crate::channel::{ChannelRegistry, ProtocolHash};
use crate::conditioner::NetworkConditioner;
use crate::plugin::{StardustPlugin, StardustSet};

/// The UDP transport. Add it after [`StardustPlugin`]:
///
/// ```no_run
/// use bevy::prelude::*;
/// use stardust::prelude::*;
///
/// let mut app = App::new();
/// app.add_plugins((StardustPlugin, UdpPlugin::new(UdpConfig::loopback(4))));
/// let listen = app.world().resource::<UdpTransport>().listen_addr().unwrap();
/// let peer = app.world_mut().connect_udp(listen); // an App may connect to itself
/// ```
///
/// Building binds every socket of the [`UdpConfig`] and inserts the [`UdpTransport`]
/// resource, so the bound addresses are known right after `add_plugins`.
///
/// # Dedicated servers: run the schedules single-threaded
///
/// Bevy's default multi-threaded executor hands every system of every schedule to the task
/// pool, waking and parking its threads several times per frame. In a headless server whose
/// frame is mostly Stardust's I/O that costs more CPU than the parallelism gives back (on a
/// 2-core machine, 15 – 25 % of the listener's CPU at 256 peers × 60 messages/s, and a round trip
/// on busy-polling Apps goes from ~30 µs to ~1 ms). Run the schedules on Bevy's
/// single-threaded executor instead; the transport still spreads a phase with enough work
/// (see [`UdpConfig::parallel_min_work`]) over the compute pool, one task per port:
///
/// ```no_run
/// use bevy::ecs::schedule::SingleThreadedExecutor;
/// use bevy::prelude::*;
/// use stardust::prelude::*;
///
/// let mut app = App::new();
/// app.add_plugins((StardustPlugin, UdpPlugin::new(UdpConfig::loopback(4))));
/// // … the game's channels and systems, then, once every schedule exists:
/// for (_, schedule) in app.world_mut().resource_mut::<Schedules>().iter_mut() {
///     schedule.set_executor(SingleThreadedExecutor::new());
/// }
/// ```
///
/// A server that updates back to back with a core to spare can also set
/// [`UdpConfig::busy_poll`] (e.g. 50 µs): the receive phase then keeps reading the ports until
/// a datagram lands instead of reading them once per frame, which takes the wait for the next
/// frame (half a frame on average, per side) out of every round trip.
///
/// # When a socket cannot be bound
/// The App keeps running without the transport: instead of [`UdpTransport`], the plugin
/// inserts [`UdpBindFailure`] with the error (the address and the OS error, and what to
/// change), and logs it. Connections asked for with `connect_udp` then end at once with
/// [`DisconnectReason::TransportClosed`](crate::peer::DisconnectReason::TransportClosed).
///
/// ```
/// use bevy::prelude::*;
/// use stardust::prelude::*;
/// use stardust::udp::UdpBindFailure;
///
/// let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
/// let mut app = App::new();
/// let config = UdpConfig::listening(taken.local_addr().unwrap(), 0..=0);
/// app.add_plugins((StardustPlugin, UdpPlugin::new(config)));
/// let failure = app.world().get_resource::<UdpBindFailure>().expect("the port is taken");
/// assert!(failure.error.to_string().contains("pick a free port"), "{}", failure.error);
/// app.update(); // the App runs on
/// ```
///
/// # Panics
/// Without [`StardustPlugin`] in the App (checked when the App finishes building, e.g. in
/// `App::run`; add them in either order). Nothing in the network path panics.
#[derive(Debug, Clone, Default)]
pub struct UdpPlugin {
    /// What to bind and how connections behave.
    pub config: UdpConfig,
}

impl UdpPlugin {
    /// The transport configured by `config`.
    pub fn new(config: UdpConfig) -> Self {
        Self { config }
    }
}

impl Plugin for UdpPlugin {
    fn build(&self, app: &mut App) {
        // A connect-only App measures nothing, but the send system still needs the store.
        app.init_resource::<DiagnosticsStore>();
        match UdpTransport::bind(self.config.clone()) {
            Ok(transport) => {
                match (transport.security(), transport.public_key()) {
                    (UdpSecurity::Insecure, _) => bevy::log::warn!(
                        "the udp transport is INSECURE (UdpSecurity::Insecure): no encryption, no \
                         authentication; anyone on the path reads every message and a spoofer can \
                         forge or end connections. Use it on trusted networks only"
                    ),
                    (UdpSecurity::Secure, Some(key)) => {
                        bevy::log::info!("udp listener public key (give it to clients): {key}");
                    }
                    (UdpSecurity::Secure, None) => {}
                }
                let measured = transport.listen_addr().map(|a| a.port());
                let measured = measured.into_iter().chain(transport.peer_ports());
                let (diagnostics, registered) = UdpDiagnostics::new(measured.collect::<Vec<_>>());
                for diagnostic in registered {
                    app.register_diagnostic(diagnostic);
                }
                app.insert_resource(transport).insert_resource(diagnostics);
            }
            Err(error) => {
                bevy::log::error!(
                    "the udp transport cannot start, the App runs without it: {error}"
                );
                app.insert_resource(UdpBindFailure { error });
            }
        }
        // The transport follows the App's conditioner: the configured one, unless the game
        // inserted its own before this plugin.
        if self.config.conditioner.is_active() {
            app.insert_resource(self.config.conditioner);
        } else {
            app.init_resource::<NetworkConditioner>();
        }
        // The systems read these; StardustPlugin inits them too (in either plugin order).
        app.init_resource::<ChannelRegistry>().init_resource::<ProtocolHash>();
        app.add_message::<UdpConnectRejected>()
            .add_systems(PreUpdate, receive.in_set(StardustSet::Receive))
            .add_systems(PostUpdate, send.in_set(StardustSet::Send));
    }

    fn finish(&self, app: &mut App) {
        assert!(
            app.is_plugin_added::<StardustPlugin>(),
            "UdpPlugin needs the runtime: add StardustPlugin too, e.g. \
             app.add_plugins((StardustPlugin, UdpPlugin::new(config)))"
        );
    }
}

/// Why [`UdpPlugin`] could not start the transport: inserted instead of [`UdpTransport`] when
/// a socket could not be bound (the error names the address, the OS error and what to
/// change). The App runs on without UDP; read this to tell the player, or to retry with
/// another configuration by adding a new [`UdpTransport`] from [`UdpTransport::bind`].
#[derive(Resource, Debug)]
pub struct UdpBindFailure {
    /// What could not be bound, and why.
    pub error: UdpBindError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "add StardustPlugin too")]
    fn without_the_runtime_finishing_the_app_names_the_missing_plugin() {
        let mut app = App::new();
        app.add_plugins(UdpPlugin::default());
        app.finish();
    }

    #[test]
    fn either_plugin_order_works() {
        let mut app = App::new();
        app.add_plugins((UdpPlugin::default(), StardustPlugin));
        app.finish();
        app.update();
    }
}
