import CPCSCLite
import KioskGuardConfiguration
import KioskGuardCore
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Watches the PC/SC readers of the terminals that name one (`card_reader`) through pcscd, so
/// the card that leaves with the citizen is seen even when the kiosk app misses it.
///
/// One thread blocks in `SCardGetStatusChange` with no timeout: it wakes only when a card or a
/// reader comes or goes. The card's identity (its ATR, the answer to `card_identity_apdu`, or a
/// My Number card's JPKI user-authentication certificate) is turned into a pseudonym on that
/// thread and never kept. A reader that disappears counts as
/// the card removed. When pcscd stops, the watcher says so once, retries every second until it
/// is back, then reports what the readers hold, which the engine compares with what it knew.
final class CardReaderWatcher: Sendable {
    /// One terminal's reader.
    struct Watch: Sendable {
        /// The terminal whose card events this reader gives.
        var terminal: String
        /// A glob over pcscd's reader names, for example `"Virtual PCD*"`.
        var readerPattern: String
        /// What identifies the card.
        var identity: CardIdentity
    }

    private let watches: [Watch]
    private let pseudonymizer: Pseudonymizer
    private let logger: Logger
    private let report: @Sendable (String, ReaderReport) -> Void
    private let control = NIOLockedValueBox(Control())
    // Set by stop(); the outage retry waits on it, so a stop never waits out a retry delay.
    private let stopRequest = ConditionLock(value: false)
    private let finished = ConditionLock(value: false)
    private let thread = NIOThreadPool(numberOfThreads: 1)

    private struct Control {
        var context: SCARDCONTEXT?
        var stopping = false
    }

    /// A watcher for the terminals of `configuration` that name a reader; nil when none does.
    /// `report` is called on the watcher's thread.
    init?(
        configuration: DaemonConfiguration, pseudonymizer: Pseudonymizer, logger: Logger,
        report: @escaping @Sendable (String, ReaderReport) -> Void
    ) {
        let watches = configuration.terminals.compactMap { terminal in
            terminal.cardReader.map { Watch(terminal: terminal.name, readerPattern: $0, identity: terminal.cardIdentity) }
        }
        guard !watches.isEmpty else { return nil }
        self.watches = watches
        self.pseudonymizer = pseudonymizer
        self.logger = logger
        self.report = report
    }

    /// Starts the watching thread.
    func start() {
        thread.start()
        thread.submit { _ in self.run() }
    }

    /// Stops watching: a blocked wait is cancelled, and this returns once the thread is done.
    func stop() {
        control.withLockedValue { $0.stopping = true }
        stopRequest.lock()
        stopRequest.unlock(withValue: true)
        // A cancel that arrives just before the thread enters its wait is lost, so it is repeated
        // until the thread is done.
        repeat {
            if let context = control.withLockedValue({ $0.context }) { SCardCancel(context) }
        } while !finished.lock(whenValue: true, timeoutSeconds: 0.5)
        finished.unlock()
        try? thread.syncShutdownGracefully()
    }

    private var stopping: Bool { control.withLockedValue { $0.stopping } }

    private func run() {
        defer {
            finished.lock()
            finished.unlock(withValue: true)
        }
        var outageReported = false
        var session = ReaderSession(watches: watches)
        while !stopping {
            var context = SCARDCONTEXT()
            let established = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context)
            guard established == kioskguard_scard_success else {
                if !outageReported {
                    logger.warning("pcscd is not reachable (\(PCSCResult(established))): card readers are not watched until it is; the kiosk apps' card events count meanwhile")
                    outageReported = true
                }
                waitBeforeRetry()
                continue
            }
            let proceed = control.withLockedValue { control in
                if !control.stopping { control.context = context }
                return !control.stopping
            }
            guard proceed else {
                SCardReleaseContext(context)
                break
            }
            if outageReported {
                logger.notice("pcscd is reachable again: watching the card readers")
                outageReported = false
            }
            session.forgetStates()
            let ended = watch(context, &session)
            control.withLockedValue { $0.context = nil }
            SCardReleaseContext(context)
            if ended != kioskguard_scard_e_cancelled, !stopping {
                logger.warning("lost pcscd (\(PCSCResult(ended))): card readers are not watched until it is back")
                outageReported = true
                waitBeforeRetry()
            }
        }
    }

    /// Waits for changes until pcscd goes away or the wait is cancelled; returns why it ended.
    private func watch(_ context: SCARDCONTEXT, _ session: inout ReaderSession) -> LONG {
        while !stopping {
            let readers: [String]
            switch PCSCReaders.list(context) {
            case .success(let names): readers = names
            case .failure(let error): return error.code
            }
            for gone in session.assign(readers) {
                logger.warning("card reader \(gone.readerPattern) of terminal \(gone.terminal) is gone: its card counts as removed")
                report(gone.terminal, .cardAbsent)
            }
            let result = session.waitForChange(context) { watch, reader, atr in
                self.identify(watch, reader: reader, atr: atr, context: context)
            }
            for (terminal, change) in result.reports { report(terminal, change) }
            if result.code != kioskguard_scard_success && result.code != kioskguard_scard_e_timeout { return result.code }
        }
        return kioskguard_scard_e_cancelled
    }

    /// The pseudonym of the card in `reader`: of its ATR, of the answer to the identity APDU, or
    /// of its JPKI user-authentication certificate.
    private func identify(_ watch: Watch, reader: String, atr: [UInt8], context: SCARDCONTEXT) -> Pseudonym {
        switch watch.identity {
        case .atr:
            return pseudonym(atr)
        case .apdu(let apdu):
            switch PCSCCard.transmit(apdu, reader: reader, context: context) {
            case .success(let answer):
                return pseudonym(answer)
            case .failure(let problem):
                // The ATR keeps the card known rather than unknown; the answer itself never reaches the log.
                logger.warning("the card in reader \(reader) (terminal \(watch.terminal)) did not answer the identity APDU (\(problem)): its ATR identifies it")
                return pseudonym(atr)
            }
        case .jpkiAuthenticationCertificate:
            switch PCSCCard.withCard(reader: reader, context: context, JPKICard.authenticationCertificate) {
            case .success(let certificate):
                return certificate.withUnsafeBytes { pseudonymizer.pseudonym(of: $0) }
            case .failure(let problem):
                // Every My Number card has the same ATR: falling back to it would make any two
                // such cards one person. A card without its certificate is like no other card.
                logger.warning("the card in reader \(reader) (terminal \(watch.terminal)) gave no JPKI user-authentication certificate (\(problem)): it counts as an unidentified card, like no other")
                return Pseudonym(high: .random(in: .min ... .max), low: .random(in: .min ... .max))
            }
        }
    }

    /// A card's answer in printable ASCII (a serial number) is spelled as an app would send it,
    /// so the two name one card alike; a binary answer (an ATR) is taken byte for byte, for
    /// dropping its "separator" bytes could merge two cards.
    private func pseudonym(_ identity: [UInt8]) -> Pseudonym {
        identity.withUnsafeBytes { bytes in
            let isText = !bytes.isEmpty && bytes.allSatisfy { (0x20...0x7E).contains($0) }
            return (isText ? pseudonymizer.pseudonym(ofIdentifier: bytes) : nil) ?? pseudonymizer.pseudonym(of: bytes)
        }
    }

    /// A second between attempts to reach pcscd, cut short by stop().
    private func waitBeforeRetry() {
        if stopRequest.lock(whenValue: true, timeoutSeconds: 1.0) { stopRequest.unlock() }
    }
}
