import KioskGuardConfiguration
import KioskGuardCore
import Testing

/// `[[site]]` (contract section 9): the contract's example loads whole, and every mistake an
/// admin can make in it is refused with the file, the line and the key.
@Suite("Configuration of browser-kiosk sites")
struct SiteConfigurationTests {
    static let header = "[control]\nadmin_groups = []\n[[terminal]]\nname = \"counter-1\"\n[[terminal]]\nname = \"counter-2\"\n"

    @Test("the contract's [[site]] loads, and reaches only the terminals it names")
    func contractExample() throws {
        let fixture = try ConfigurationFixture()
        try fixture.write(Self.header + """
            [[site]]
            name = "portal"
            origins = ["https://portal.example.jp"]
            start_url = "https://portal.example.jp/"
            login_url = "https://portal.example.jp/home*"
            logout_url = "https://portal.example.jp/logout*"
            terminals = ["counter-1"]
            [[site.step]]
            name = "bank-account.register"
            url = "https://portal.example.jp/account/*"
            form = "form#account"
            sensitive = true
            account_field = "input[name=account]"
            [[site]]
            name = "local"
            origins = ["http://127.0.0.1:8080", "http://localhost:8080"]
            start_url = "http://localhost:8080/"
            """)
        let configuration = try fixture.load()
        let portal = GuardedSite(
            name: "portal", origins: ["https://portal.example.jp"], startURL: "https://portal.example.jp/",
            loginURL: "https://portal.example.jp/home*", logoutURL: "https://portal.example.jp/logout*", terminals: ["counter-1"],
            steps: [.init(name: "bank-account.register", url: "https://portal.example.jp/account/*", form: "form#account",
                          sensitive: true, accountField: "input[name=account]")])
        #expect(configuration.sites.first == portal)
        #expect(configuration.sites(guardedBy: "counter-1").map(\.name) == ["portal", "local"])
        #expect(configuration.sites(guardedBy: "counter-2").map(\.name) == ["local"])
        #expect(configuration.sites[1].steps.isEmpty && configuration.sites[1].loginURL == nil)
    }

    @Test("mistakes are refused with file, line and key", arguments: [
        ("[[site]]\norigins = [\"https://a.jp\"]\n", 7, "site.name", "needs a name"),
        ("[[site]]\nname = \"p\"\nstart_url = \"https://a.jp/\"\n", 7, "site.origins", "needs origins"),
        ("[[site]]\nname = \"p\"\norigins = []\n", 9, "site.origins", "needs origins"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp/path\"]\n", 9, "site.origins", "not an origin"),
        ("[[site]]\nname = \"p\"\norigins = [\"ftp://a.jp\"]\n", 9, "site.origins", "not an origin"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://A.jp\"]\n", 9, "site.origins", "lower case"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp:99999\"]\n", 9, "site.origins", "not an origin"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\n", 7, "site.start_url", "needs a start_url"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp.evil.example/\"\n", 10, "site.start_url", "not on one of the site's origins"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/*\"\n", 10, "site.start_url", "not a pattern"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\nlogin_url = \"https://b.jp/home\"\n", 11, "site.login_url", "not on one of"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\nlogout_url = \"https://a.jp/log out\"\n", 11, "site.logout_url", "visible ASCII"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\nterminals = [\"counter-9\"]\n", 11, "site.terminals", "no [[terminal]] defines"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\ncolour = \"red\"\n", 11, "site.colour", "unknown key"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site]]\nname = \"p\"\n", 12, "site.name", "defined twice"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nurl = \"https://a.jp/x\"\n", 11, "site.step.name", "needs a name"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nname = \"s\"\nform = \"form\"\n", 11, "site.step.url", "needs the url"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nname = \"s\"\nurl = \"https://a.jp/x\"\n", 11, "site.step.form", "needs form"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nname = \"s\"\nurl = \"https://a.jp/x\"\nform = \"  \"\n", 14, "site.step.form", "CSS selector"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nname = \"s\"\nurl = \"https://a.jp/x\"\nform = \"f\"\nsensitive = \"yes\"\n", 15, "site.step.sensitive", "true or false"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nname = \"s\"\nurl = \"https://a.jp/x\"\nform = \"f\"\n[[site.step]]\nname = \"s\"\n", 16, "site.step.name", "defined twice"),
        ("[[site]]\nname = \"p\"\norigins = [\"https://a.jp\"]\nstart_url = \"https://a.jp/\"\n[[site.step]]\nname = \"s\"\nurl = \"https://a.jp/x\"\nform = \"f\"\nfield = \"x\"\n", 15, "site.step.field", "unknown key"),
        ("[[terminal]]\nname = \"auto\"\n", 8, "terminal.name", "reserved"),
    ])
    func mistakes(text: String, line: Int, key: String, message: String) throws {
        try ConfigurationFixture().expectError(in: Self.header + text, line: line, key: key, message: message)
    }
}
