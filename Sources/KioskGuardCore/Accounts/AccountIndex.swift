/// Which subjects registered which accounts recently, as pseudonyms only.
///
/// An account linked to a second subject within `retention` is the signature of the original
/// incident (a benefit account registered into someone else's session). Entries past the
/// retention are forgotten; each account keeps at most `subjectsPerAccount` subjects, so a peer
/// cannot grow one entry without bound.
public struct AccountIndex: Sendable {
    /// How long a link counts.
    public let retention: Duration
    /// The most subjects remembered per account.
    public let subjectsPerAccount: Int

    /// One remembered link of an account to a subject.
    public struct Link: Hashable, Sendable {
        /// Who registered the account.
        public var subject: Pseudonym
        /// When that registration was last seen.
        public var linkedAt: WallInstant

        /// A link of an account to `subject` seen at `linkedAt`.
        public init(subject: Pseudonym, linkedAt: WallInstant) {
            self.subject = subject
            self.linkedAt = linkedAt
        }
    }

    private var links: [Pseudonym: [Link]] = [:]

    /// An empty index (default retention: 90 days).
    public init(retention: Duration = .seconds(90 * 86_400), subjectsPerAccount: Int = 8) {
        self.retention = retention
        self.subjectsPerAccount = subjectsPerAccount
    }

    /// The number of accounts indexed.
    public var count: Int { links.count }

    /// The links of `account` still within the retention at `now`.
    public func links(of account: Pseudonym, at now: WallInstant) -> [Link] {
        (links[account] ?? []).filter { now - $0.linkedAt < retention }
    }

    /// Records that `subject` registered `account` at `now`, and returns the other subjects the
    /// account was linked to within the retention (empty when there is no conflict).
    public mutating func link(_ account: Pseudonym, to subject: Pseudonym, at now: WallInstant) -> [Pseudonym] {
        var current = links(of: account, at: now)
        let others = current.filter { $0.subject != subject }.map(\.subject)
        current.removeAll { $0.subject == subject }
        current.append(Link(subject: subject, linkedAt: now))
        if current.count > subjectsPerAccount { current.removeFirst(current.count - subjectsPerAccount) }
        links[account] = current
        return others
    }

    /// Forgets every link older than the retention at `now`.
    public mutating func prune(at now: WallInstant) {
        for account in Array(links.keys) {
            let kept = links(of: account, at: now)
            links[account] = kept.isEmpty ? nil : kept
        }
    }

    /// Restores a persisted link.
    public mutating func restore(account: Pseudonym, link: Link) {
        links[account, default: []].append(link)
    }
}
