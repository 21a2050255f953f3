import KioskGuardClient
import Testing

@Suite("Client side of the protocol")
struct ClientProtocolTests {
    @Test("an app can frame and decode a stream of daemon lines")
    func decodeStream() throws {
        // Two lines as the daemon writes them, the second with a field from a newer daemon.
        let stream = Array("{\"type\":\"warn\",\"session\":\"s-1\",\"reason\":\"idle\",\"lock_in\":20}\n".utf8)
            + Array("{\"type\":\"lock\",\"session\":\"s-1\",\"reason\":\"idle\",\"since\":{\"x\":[1]}}\r\n".utf8)
        let framer = LineFramer(maxLineLength: ProtocolLimits().maxLineLength)
        var buffer = stream
        var received: [DaemonMessage] = []
        while case .line(let content, let consumed) = buffer.withUnsafeBytes({ framer.frame($0) }) {
            received.append(try DaemonMessage.decode(buffer[content]).get())
            buffer.removeFirst(consumed)
        }
        #expect(received == [.warn(session: "s-1", reason: "idle", lockIn: 20), .lock(session: "s-1", reason: "idle")])
        #expect(buffer.isEmpty)
    }

    @Test("an app's hello names the protocol version it speaks")
    func hello() {
        let line = String(decoding: KioskMessage.hello(terminal: "counter-1").encoded(), as: UTF8.self)
        #expect(line == "{\"type\":\"hello\",\"terminal\":\"counter-1\",\"protocol\":1}\n")
    }
}
