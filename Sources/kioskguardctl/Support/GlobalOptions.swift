import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Options every live verb shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's control socket.", valueName: "path"))
    var socket: String = GlobalOptions.defaultSocket

    @Flag(name: .long, help: "Print stable machine-readable JSON instead of tables.")
    var json = false

    func validate() throws {
        guard socket.hasPrefix("/") else { throw ValidationError("--socket needs an absolute path") }
    }

    /// Where the daemon puts its control socket by default: `/run/kioskguard` for root,
    /// `$XDG_RUNTIME_DIR/kioskguard` for other users (the daemon's own rule).
    static var defaultSocket: String {
        if getuid() == 0 { return "/run/kioskguard/control.sock" }
        let runtime = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) } ?? "/tmp/kioskguard-\(getuid())"
        return runtime + "/kioskguard/control.sock"
    }
}
