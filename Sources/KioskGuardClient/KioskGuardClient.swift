/// The library kiosk apps link to talk to kioskguardd.
///
/// It carries the app's side of event protocol v1: `KioskMessage` to encode what the app
/// reports, `DaemonMessage` to decode what the daemon answers (`welcome`, `warn`, `lock`,
/// `terminate`, `step.decision`, `pong`, `error`), and `LineFramer` to split the socket's byte
/// stream into lines. Apps in other languages follow docs/protocol.md.
@_exported public import KioskGuardProtocol
