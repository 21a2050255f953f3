// swift-tools-version: 6.1
//
// kioskguard: guards shared registration kiosks against sessions handed over to the next person.
// The target graph is the architecture (see docs/architecture.md):
//   KioskGuardVocabulary  the journal's and the wire's names: events, fields, reasons, anomaly
//                       kinds, MESSAGE_IDs; shared by the writer (Core, Daemon) and the readers (Review)
//   KioskGuardCore      pure domain: sessions, rules, anomalies, pseudonyms; no I/O
//   KioskGuardProtocol  the wire: event protocol v1 and control protocol, framing, limits
//   KioskGuardFraming   the line framing as a NIO decoder, shared by the daemon and the client
//   KioskGuardBridge    the browser's native-messaging host: framing, checks, the relay to the events socket
//   KioskGuardTesting   test doubles: a manual clock and an engine harness
//   KioskGuardConfiguration  the TOML configuration: reading, validating, defaults
//   CSystemd / Systemd  libsystemd through a small C shim, and its Swift wrapper
//   CKioskGuardShims    C for what Swift cannot call (variadic syscall)
//   KioskGuardDaemon    the I/O adapters: sockets, journal, state store, lock actions, services
//   KioskGuardReview    reading the journal back: history, report, audit (for kioskguardctl)
//   KioskGuardClient    the library kiosk apps link
//   kioskguardd / kioskguardctl   the daemon and the admin CLI
//   KioskGuardFuzzing / kioskguard-fuzz   libFuzzer targets (Fuzz/), replayed by the unit tests
//   kioskguard-bench / kioskguard-load     micro-benchmarks and the daemon's load generator (Benchmarks/)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kioskguard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kioskguardd", targets: ["kioskguardd"]),
        .executable(name: "kioskguardctl", targets: ["kioskguardctl"]),
        .library(name: "KioskGuardClient", targets: ["KioskGuardClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .target(name: "KioskGuardVocabulary", swiftSettings: swiftSettings),
        .target(
            name: "KioskGuardCore",
            dependencies: ["KioskGuardVocabulary", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardProtocol",
            dependencies: ["KioskGuardCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardFraming",
            dependencies: ["KioskGuardProtocol", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardBridge",
            dependencies: [
                "KioskGuardProtocol", "KioskGuardFraming",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardTesting",
            dependencies: ["KioskGuardCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardConfiguration",
            dependencies: ["KioskGuardCore"],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CPCSCLite",
            pkgConfig: "libpcsclite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        .target(name: "CKioskGuardShims"),
        .target(
            name: "Systemd",
            dependencies: ["CSystemd"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardDaemon",
            dependencies: [
                "KioskGuardVocabulary",
                "KioskGuardCore",
                "KioskGuardProtocol",
                "KioskGuardFraming",
                "KioskGuardConfiguration",
                "Systemd",
                "CSystemd",
                "CKioskGuardShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "CSQLite",
                "CPCSCLite",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardReview",
            dependencies: ["KioskGuardVocabulary", "Systemd"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardClient",
            dependencies: [
                "KioskGuardProtocol",
                "KioskGuardFraming",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kioskguardd",
            dependencies: [
                "KioskGuardDaemon",
                "KioskGuardBridge",
                "KioskGuardProtocol",
                "KioskGuardConfiguration",
                "Systemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kioskguardctl",
            dependencies: [
                "KioskGuardVocabulary",
                "KioskGuardProtocol",
                "KioskGuardConfiguration",
                "KioskGuardReview",
                "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kioskguard-bench",
            dependencies: ["KioskGuardCore", "KioskGuardProtocol", "KioskGuardTesting", "KioskGuardDaemon"],
            path: "Benchmarks/kioskguard-bench",
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CEpoll", path: "Benchmarks/CEpoll"),
        .executableTarget(
            name: "kioskguard-load",
            dependencies: [
                "CEpoll",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/kioskguard-load",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KioskGuardFuzzing",
            dependencies: ["KioskGuardCore", "KioskGuardProtocol", "KioskGuardConfiguration", "KioskGuardTesting"],
            path: "Fuzz/KioskGuardFuzzing",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kioskguard-fuzz",
            dependencies: ["KioskGuardFuzzing", "KioskGuardConfiguration"],
            path: "Fuzz/kioskguard-fuzz",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardVocabularyTests",
            dependencies: ["KioskGuardVocabulary"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardFuzzingTests",
            dependencies: ["KioskGuardFuzzing"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardCoreTests",
            dependencies: ["KioskGuardCore", "KioskGuardTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardProtocolTests",
            dependencies: ["KioskGuardProtocol", "KioskGuardCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardFramingTests",
            dependencies: ["KioskGuardFraming", "KioskGuardProtocol", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardBridgeTests",
            dependencies: ["KioskGuardBridge", "KioskGuardProtocol", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardConfigurationTests",
            dependencies: ["KioskGuardConfiguration", "KioskGuardCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardDaemonTests",
            dependencies: [
                "KioskGuardDaemon", "KioskGuardConfiguration", "KioskGuardCore", "KioskGuardProtocol", "KioskGuardFraming", "KioskGuardTesting", "Systemd",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardReviewTests",
            dependencies: ["KioskGuardReview"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KioskGuardClientTests",
            dependencies: ["KioskGuardClient"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
