public import KioskGuardCore

/// A message from the daemon to a kiosk app.
public enum OutboundMessage: Hashable, Sendable {
    /// `welcome`: the reply to hello (echoing its id), with the terminal's effective timeouts and
    /// the sites its browser extension guards.
    case welcome(terminal: String, policy: SessionPolicy, sites: [GuardedSite], id: RequestID?)
    /// `warn`, `lock`, `terminate`, `step.decision` or an engine refusal.
    case notice(ClientNotice)
    /// `pong`: the answer to ping.
    case pong(id: RequestID?)
    /// `error`: the request was refused.
    case error(EventError)

    /// The message as one protocol line, newline included.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        switch self {
        case .welcome(let terminal, let policy, let sites, let id):
            writer.field("type", MessageType.welcome.rawValue)
            writer.field("protocol", ProtocolVersion.current)
            writer.field("terminal", terminal)
            writer.beginObject("policy")
            for (name, value) in PolicyFields.seconds(of: policy) { writer.field(name, value) }
            writer.field("on_card_removed", policy.onCardRemoved.rawValue)
            writer.endObject()
            writer.beginArray("sites")
            for site in sites { Self.write(site, into: &writer) }
            writer.endArray()
            writer.field("id", id?.rawValue)
        case .notice(let notice):
            Self.write(notice, into: &writer)
        case .pong(let id):
            writer.field("type", MessageType.pong.rawValue)
            writer.field("id", id?.rawValue)
        case .error(let error):
            Self.writeError(error.code, error.message, error.requestID, into: &writer)
        }
        writer.endObject()
        return writer.finishLine()
    }

    private static func write(_ notice: ClientNotice, into writer: inout JSONWriter) {
        switch notice {
        case .warn(let session, let reason, let lockIn):
            writer.field("type", MessageType.warn.rawValue)
            writer.field("session", session.rawValue)
            writer.field("reason", reason.rawValue)
            writer.field("lock_in", lockIn.wholeSecondsRoundedUp)
        case .lock(let session, let reason):
            writer.field("type", MessageType.lock.rawValue)
            writer.field("session", session.rawValue)
            writer.field("reason", reason.rawValue)
        case .terminate(let session, let reason):
            writer.field("type", MessageType.terminate.rawValue)
            writer.field("session", session.rawValue)
            writer.field("reason", reason.rawValue)
        case .stepDecision(let id, let session, let step, let denial):
            writer.field("type", MessageType.stepDecision.rawValue)
            writer.field("id", id.rawValue)
            writer.field("session", session.rawValue)
            writer.field("step", step.rawValue)
            writer.field("allow", denial == nil)
            writer.field("reason", denial?.rawValue)
        case .refusal(let refusal, let message, let requestID):
            writeError(EventErrorCode(refusal), message, requestID, into: &writer)
        }
    }

    private static func write(_ site: GuardedSite, into writer: inout JSONWriter) {
        writer.beginElementObject()
        writer.field("name", site.name)
        writer.beginArray("origins")
        for origin in site.origins { writer.element(origin) }
        writer.endArray()
        writer.field("start_url", site.startURL)
        writer.field("login_url", site.loginURL)
        writer.field("logout_url", site.logoutURL)
        writer.beginArray("steps")
        for step in site.steps {
            writer.beginElementObject()
            writer.field("name", step.name)
            writer.field("url", step.url)
            writer.field("form", step.form)
            writer.field("sensitive", step.sensitive)
            writer.field("account_field", step.accountField)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }

    private static func writeError(_ code: EventErrorCode, _ message: String, _ id: RequestID?, into writer: inout JSONWriter) {
        writer.field("type", MessageType.error.rawValue)
        writer.field("code", code.rawValue)
        writer.field("message", message)
        writer.field("id", id?.rawValue)
    }
}

/// The policy fields `welcome` reports, in seconds, under the config's key names.
enum PolicyFields {
    static func seconds(of policy: SessionPolicy) -> [(StaticString, Int64)] {
        [
            ("idle_timeout", policy.idleTimeout.wholeSecondsRoundedUp),
            ("sensitive_idle_timeout", policy.sensitiveIdleTimeout.wholeSecondsRoundedUp),
            ("warn_before", policy.warnBefore.wholeSecondsRoundedUp),
            ("lock_confirm_timeout", policy.lockConfirmTimeout.wholeSecondsRoundedUp),
            ("terminate_after_lock", policy.terminateAfterLock.wholeSecondsRoundedUp),
            ("max_session", policy.maxSession.wholeSecondsRoundedUp),
            ("presence_grace", policy.presenceGrace.wholeSecondsRoundedUp),
            ("sensitive_auth_max_age", policy.sensitiveAuthMaxAge.wholeSecondsRoundedUp),
        ]
    }
}
