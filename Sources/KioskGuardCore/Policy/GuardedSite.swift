/// A web portal that a browser kiosk's extension guards (`[[site]]`, docs/browser-kiosks.md):
/// where it lives, which pages begin and end a session, and which form submits are steps.
/// Only what the extension needs to recognise pages; nothing of a page's content.
public struct GuardedSite: Hashable, Sendable {
    /// The site's name, as in `[[site]] name`.
    public var name: String
    /// The origins (`scheme://host[:port]`) whose tabs are guarded.
    public var origins: [String]
    /// Where the browser goes after a terminate: a page that shows the portal logged out.
    public var startURL: String
    /// Reaching a page that matches it begins a session (`*` matches any run of characters).
    public var loginURL: String?
    /// Reaching a page that matches it ends the session as `logout`.
    public var logoutURL: String?
    /// The terminals that guard this site; empty means every terminal.
    public var terminals: [String]
    /// The form submits that are steps.
    public var steps: [Step]

    /// A form whose submit must be allowed by the daemon first (`[[site.step]]`).
    public struct Step: Hashable, Sendable {
        /// The step's name, as sent in `step.request`.
        public var name: String
        /// The pages the form is on (`*` matches any run of characters).
        public var url: String
        /// A CSS selector of the form.
        public var form: String
        /// Whether the step is sensitive (fresh authentication and the card are required).
        public var sensitive: Bool
        /// A CSS selector of the field whose value is the step's `account`.
        public var accountField: String?

        /// A step of `form` on the pages matching `url`.
        public init(name: String, url: String, form: String, sensitive: Bool = false, accountField: String? = nil) {
            self.name = name
            self.url = url
            self.form = form
            self.sensitive = sensitive
            self.accountField = accountField
        }
    }

    /// A site guarded on `origins`.
    public init(name: String, origins: [String], startURL: String, loginURL: String? = nil, logoutURL: String? = nil,
                terminals: [String] = [], steps: [Step] = []) {
        self.name = name
        self.origins = origins
        self.startURL = startURL
        self.loginURL = loginURL
        self.logoutURL = logoutURL
        self.terminals = terminals
        self.steps = steps
    }

    /// Whether terminal `name` guards this site.
    public func isGuarded(by terminal: String) -> Bool {
        terminals.isEmpty || terminals.contains(terminal)
    }
}
