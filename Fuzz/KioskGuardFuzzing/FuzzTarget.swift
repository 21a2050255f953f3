/// One fuzzing target: a parser or a state machine fed with arbitrary bytes, which checks its own
/// properties and traps (for libFuzzer to report) when one breaks.
///
/// The same entry serves the libFuzzer binary (`kioskguard-fuzz`, built with
/// `-sanitize=fuzzer,address`) and the unit tests that replay the committed corpus and every crash
/// reproducer, so a found bug stays found.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The event protocol: framing and decoding of kiosk-app lines.
    case eventCodec = "event-codec"
    /// The control protocol: decoding admin requests, and their round trip.
    case controlCodec = "control-codec"
    /// The configuration: TOML reading, validation and defaults, with drop-ins.
    case configuration
    /// The session engine driven by an arbitrary sequence of events, clock moves and admin verbs.
    case engine

    /// Runs the target once over `input`.
    public func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .eventCodec: Self.eventCodec(input)
        case .controlCodec: Self.controlCodec(input)
        case .configuration: Self.configuration(input)
        case .engine: Self.engine(input)
        }
    }

    /// Runs the target once over `input`.
    public func run(_ input: [UInt8]) {
        input.withUnsafeBytes { run($0) }
    }
}

/// A broken property: stops the run with a message libFuzzer's report and the replay test show.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property broken: \(message())") }
}
