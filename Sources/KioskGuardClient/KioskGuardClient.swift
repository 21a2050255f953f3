/// The library kiosk apps link to talk to kioskguardd.
///
/// `KioskGuardConnection` connects to the events socket, says hello, and then lets the app report
/// session events, ask the step guard, and receive `warn`/`lock`/`terminate` as an async
/// sequence. The wire types (`KioskMessage`, `DaemonMessage`, `LineFramer`) are re-exported for
/// apps that manage their own socket; apps in other languages follow docs/protocol.md and the
/// Python example in examples/.
@_exported public import KioskGuardProtocol
