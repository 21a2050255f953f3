@testable import KioskGuardDaemon
import Testing

@Suite("Hotline URLs")
struct HotlineURLTests {
    @Test("plain http:// is said only when it leaves this host", arguments: [
        ("http://127.0.0.1:8080/alerts", false), ("http://127.1.2.3/a", false), ("http://localhost/a", false),
        ("http://[::1]:9000/a", false), ("https://hotline.example/a", false),
        ("http://hotline.example/a", true), ("http://192.0.2.1:9/alerts", true), ("http://127.0.0.1.example/a", true),
    ])
    func plainText(url: String, warned: Bool) {
        let warning = HotlineURL.plainTextWarning(name: "primary", url: url)
        #expect((warning != nil) == warned, "\(url): \(warning ?? "no warning")")
    }
}
