import Glibc
import KioskGuardConfiguration
import KioskGuardFuzzing

#if FUZZING
// Built by Fuzz/run.sh with `-sanitize=fuzzer,address -D FUZZING`: main hands over to libFuzzer's
// driver, which takes libFuzzer's usual arguments. KIOSKGUARD_FUZZ_TARGET names the target.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

nonisolated(unsafe) private var target = FuzzTarget.eventCodec

@main
struct FuzzCommand {
    static func main() {
        let name = getenv("KIOSKGUARD_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let chosen = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            complain("set KIOSKGUARD_FUZZ_TARGET to one of: \(known)")
            exit(2)
        }
        target = chosen
        var argc = CommandLine.argc
        var argv = Optional(CommandLine.unsafeArgv)
        exit(runFuzzerDriver(&argc, &argv, testOneInput))
    }
}

// Also exported under libFuzzer's own name, which its runtime references.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    target.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// Without the fuzzer: replays files through a target, `kioskguard-fuzz TARGET FILE...`, the way
/// a crash reproducer is checked by hand.
@main
struct ReplayCommand {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            complain("usage: kioskguard-fuzz \(known) FILE...")
            exit(2)
        }
        for path in arguments.dropFirst() {
            let input: [UInt8]
            do {
                input = try FileSystem.read(path, limit: 1 << 20)
            } catch {
                complain("\(error)")
                exit(1)
            }
            target.run(input)
            print("\(path): ok")
        }
    }
}
#endif

private func complain(_ message: String) {
    let line = Array("kioskguard-fuzz: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
