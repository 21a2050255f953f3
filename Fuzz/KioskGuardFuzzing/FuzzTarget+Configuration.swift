import KioskGuardConfiguration

extension FuzzTarget {
    /// The input is a main configuration file, and after a NUL byte a drop-in. Checks: the
    /// loader either refuses with an error that names the file it comes from and a message, or
    /// builds a configuration whose policies can all be enforced.
    static func configuration(_ input: UnsafeRawBufferPointer) {
        let parts = input.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        var texts: [(file: String, text: String)] = []
        for (index, part) in parts.enumerated() {
            // Files that are not UTF-8 are refused before parsing (FileSystem.readText).
            guard let text = String(validating: part, as: UTF8.self) else { return }
            texts.append((index == 0 ? "fuzz.toml" : "fuzz.toml.d/50-drop-in.toml", text))
        }
        let loader = ConfigurationLoader(environment: ["RUNTIME_DIRECTORY": "/run/fuzz", "STATE_DIRECTORY": "/var/lib/fuzz"], uid: 0)
        do {
            let configuration = try loader.load(texts: texts)
            for terminal in configuration.terminals {
                fuzzCheck(terminal.profile.policy.problem == nil, "terminal \(terminal.profile.name) accepted with an unenforceable policy")
            }
        } catch {
            fuzzCheck(texts.contains { $0.file == error.file }, "an error names a file that was not loaded: \(error.file)")
            fuzzCheck(!error.message.isEmpty, "a configuration error without a message")
        }
    }
}
