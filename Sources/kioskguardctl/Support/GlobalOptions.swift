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

    /// The installed daemon's socket (`/run/kioskguard/control.sock`), which admins in the admin
    /// group reach without root; for a non-root user running a daemon of their own on its
    /// defaults (`$XDG_RUNTIME_DIR/kioskguard`), that one when it exists.
    static var defaultSocket: String {
        let system = "/run/kioskguard/control.sock"
        if getuid() == 0 { return system }
        let runtime = getenv("XDG_RUNTIME_DIR").map { String(cString: $0) } ?? "/tmp/kioskguard-\(getuid())"
        let personal = runtime + "/kioskguard/control.sock"
        return access(personal, F_OK) == 0 ? personal : system
    }
}
