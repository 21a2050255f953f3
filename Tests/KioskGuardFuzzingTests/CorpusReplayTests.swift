import KioskGuardConfiguration
import KioskGuardFuzzing
import Testing

/// Replays the committed corpus (Fuzz/corpus/TARGET) and every crash reproducer
/// (Fuzz/crashes/TARGET) through the fuzz targets: a bug the fuzzer found once stays fixed, and
/// the properties the targets check hold for every input kept.
@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    static let fuzzDirectory = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/")).prefixedWithSlash + "/Fuzz"

    static func inputs(_ target: FuzzTarget, _ kind: String) -> [String] {
        let directory = "\(fuzzDirectory)/\(kind)/\(target.rawValue)"
        return ((try? FileSystem.entries(of: directory)) ?? []).sorted().map { "\(directory)/\($0)" }
    }

    @Test("every corpus input and crash reproducer passes its target", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        let corpus = Self.inputs(target, "corpus")
        #expect(corpus.count >= 5, "the corpus of \(target.rawValue) is missing or thin")
        for path in corpus + Self.inputs(target, "crashes") {
            target.run(try FileSystem.read(path, limit: 1 << 20))
        }
    }
}

extension String {
    fileprivate var prefixedWithSlash: String { "/" + self }
}
