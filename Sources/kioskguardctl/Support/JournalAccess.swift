import KioskGuardConfiguration
import Systemd
#if canImport(Glibc)
import Glibc
#endif

/// Which journal files a reader cannot open. `sd_journal` skips such files without a word, so a
/// reader without permission would see an empty journal and conclude that nothing happened.
enum JournalAccess {
    /// The files of `source` this process cannot open, with why. A directory is read as
    /// `sd_journal_open_directory` reads it (its files and its machine-id subdirectories); the
    /// local journal is its system files in `/run/log/journal` and `/var/log/journal`, where the
    /// daemon's entries are.
    static func unreadableFiles(of source: JournalReader.Source) -> [(path: String, reason: String)] {
        switch source {
        case .files(let paths):
            return paths.compactMap { path in openProblem(path).map { (path, $0) } }
        case .directory(let path):
            return unreadableFiles(inDirectory: path, matching: isJournalFile, descending: true)
        case .local:
            let machines = ["/run/log/journal", "/var/log/journal"].flatMap { root in
                ((try? FileSystem.entries(of: root)) ?? []).filter(isMachineID).map { root + "/" + $0 }
            }
            return machines.flatMap { unreadableFiles(inDirectory: $0, matching: { $0.hasPrefix("system") && isJournalFile($0) }, descending: false) }
        }
    }

    private static func isJournalFile(_ name: String) -> Bool { name.hasSuffix(".journal") || name.hasSuffix(".journal~") }

    private static func isMachineID(_ name: String) -> Bool {
        name.utf8.count == 32 && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func unreadableFiles(
        inDirectory directory: String, matching accepts: (String) -> Bool, descending: Bool
    ) -> [(path: String, reason: String)] {
        let names: [String]
        do {
            names = try FileSystem.entries(of: directory)
        } catch {
            return [(directory, error.reason)]
        }
        var problems: [(path: String, reason: String)] = []
        for name in names.sorted() {
            let path = directory + "/" + name
            if accepts(name) {
                if let problem = openProblem(path) { problems.append((path, problem)) }
            } else if descending, isMachineID(name) {
                problems += unreadableFiles(inDirectory: path, matching: accepts, descending: false)
            }
        }
        return problems
    }

    private static func openProblem(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        close(descriptor)
        return nil
    }
}
