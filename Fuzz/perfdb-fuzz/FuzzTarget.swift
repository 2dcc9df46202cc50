import Foundation
import PerfDBIngest
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

/// The adapter this process fuzzes: `PERFDB_FUZZ_FORMAT` names an input format, or `detect`
/// (the default) lets perfdb detect it from content as `perfdb ingest` does, or
/// `locust-siblings` reads the input as a Locust run's history, failures and exceptions files.
private let fuzzed = ProcessInfo.processInfo.environment["PERFDB_FUZZ_FORMAT"] ?? "detect"

private let forced: InputFormat? = {
    let name = fuzzed
    if name == "detect" || name == "locust-siblings" { return nil }
    guard let format = InputFormat(rawValue: name) else {
        fatalError("PERFDB_FUZZ_FORMAT: unknown format \(name)")
    }
    return format
}()

/// A scratch file per process: the adapters read files (and stdin) as `perfdb ingest` does.
private let scratch = FileManager.default.temporaryDirectory
    .appending(path: "perfdb-fuzz-\(getpid())").path

/// One input: any thrown error is a correct refusal; a trap, a sanitizer report or a hang is
/// a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    if fuzzed == "locust-siblings" {
        fuzzLocustSiblings(bytes)
        return 0
    }
    guard FileManager.default.createFile(atPath: scratch, contents: bytes) else { return 0 }
    var options = StreamOptions()
    options.chunkSize = 4096  // small chunks reach the line-carrying paths with small inputs
    _ = try? InputFormat.load(scratch, as: forced, options: options)
    return 0
}

/// A good Locust stats CSV whose `--csv` siblings are the input, read as `perfdb ingest` reads
/// a run's files.
private func fuzzLocustSiblings(_ bytes: Data) {
    let directory = scratch + ".d"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let stats = """
        Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
        Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,\
        75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r
        GET,/x,2,1,7,7.5,7,8,10,1,0.5,7,8,8,8,8,8,8,8,8,8,8\r
        ,Aggregated,2,1,7,7.5,7,8,10,1,0.5,7,8,8,8,8,8,8,8,8,8,8\r

        """
    guard
        FileManager.default.createFile(
            atPath: directory + "/r_stats.csv", contents: Data(stats.utf8))
    else { return }
    for sibling in ["r_stats_history.csv", "r_failures.csv", "r_exceptions.csv"] {
        guard FileManager.default.createFile(atPath: directory + "/" + sibling, contents: bytes)
        else { return }
    }
    _ = try? Ingestor.prepare([directory + "/r_stats.csv"], options: Ingestor.Options())
}

/// libFuzzer's driver (the executable's entry point is ours, so libFuzzer is started by hand).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The entry point the package gives this executable.
@_cdecl("perfdb_fuzz_main")
public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var count = argc
    var arguments = argv
    return runDriver(&count, &arguments, fuzzOneInput)
}
