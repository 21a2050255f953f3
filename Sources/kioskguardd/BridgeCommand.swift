public import ArgumentParser
import KioskGuardBridge
import KioskGuardProtocol
#if canImport(Glibc)
import Glibc
#endif

/// `kioskguard-bridge`: the native-messaging host a browser kiosk's extension starts. It is this
/// executable under another name (the package links `/usr/lib/kioskguard/kioskguard-bridge` to
/// it), so the package carries one copy of the Swift runtime, not two.
struct BridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskguard-bridge",
        abstract: "Relays between the kioskguard browser extension (native messaging) and kioskguardd's events socket.",
        discussion: """
            Started by Chromium or Firefox as the native-messaging host \(BridgeManifest.hostName); it connects to the events \
            socket as the browser's user. Exit codes: 0 the browser went away, 1 its stream broke the native-messaging framing, \
            64 usage (EX_USAGE, as argument-parser gives it).
            """,
        version: KioskGuardVersion.current
    )

    /// Whether the executable was started under the bridge's name.
    static func isInvoked(as argument0: String?) -> Bool {
        argument0?.split(separator: "/").last == "kioskguard-bridge"
    }

    @Option(help: ArgumentHelp("The events socket (default: $KIOSKGUARD_EVENTS_SOCKET, else /run/kioskguard/events.sock).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Print the host manifest for this browser and exit.", valueName: "chromium|firefox"))
    var printManifest: BridgeManifest.Browser?

    @Option(name: .customLong("extension-id"), help: ArgumentHelp("The extension that may start the bridge (with --print-manifest).", valueName: "id"))
    var extensionID: String?

    @Option(name: .customLong("bridge-path"), help: ArgumentHelp(
        "The bridge's path the manifest names (with --print-manifest; default: the path it was started as).", valueName: "path"))
    var bridgePath: String?

    @Argument(help: ArgumentHelp("What the browser passes: its caller's origin, or the manifest's path and the extension's id. Not used."))
    var browserArguments: [String] = []

    func validate() throws {
        if let socket, !socket.hasPrefix("/") { throw ValidationError("--socket needs an absolute path") }
        if let printManifest {
            guard let extensionID else { throw ValidationError("--print-manifest needs --extension-id") }
            guard BridgeManifest.isValidExtensionID(extensionID, for: printManifest) else {
                throw ValidationError(printManifest == .chromium
                    ? "'\(extensionID)' is not a Chromium extension id (32 letters a to p)"
                    : "'\(extensionID)' is not a Firefox extension id (name@domain or {GUID})")
            }
        } else if extensionID != nil || bridgePath != nil {
            throw ValidationError("--extension-id and --bridge-path go with --print-manifest")
        }
        if let bridgePath, !bridgePath.hasPrefix("/") { throw ValidationError("--bridge-path needs an absolute path") }
    }

    func run() async throws {
        if let printManifest, let extensionID {
            let started = CommandLine.arguments.first ?? ""
            let path = bridgePath ?? (started.hasPrefix("/") ? started : BridgeManifest.installedPath)
            print(BridgeManifest.text(for: printManifest, extensionID: extensionID, path: path), terminator: "")
            return
        }
        let path = socket ?? getenv("KIOSKGUARD_EVENTS_SOCKET").map { String(cString: $0) } ?? "/run/kioskguard/events.sock"
        guard try await Bridge.run(BridgeConfiguration(socketPath: path)) else { throw ExitCode.failure }
    }
}

extension BridgeManifest.Browser: ExpressibleByArgument {}
