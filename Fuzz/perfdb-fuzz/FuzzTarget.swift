import Foundation
import PerfDBIngest
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

/// The adapter this process fuzzes: `PERFDB_FUZZ_FORMAT` names an input format, or `detect`
/// (the default) lets perfdb detect it from content as `perfdb ingest` does.
private let forced: InputFormat? = {
    let name = ProcessInfo.processInfo.environment["PERFDB_FUZZ_FORMAT"] ?? "detect"
    if name == "detect" { return nil }
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
    guard FileManager.default.createFile(atPath: scratch, contents: bytes) else { return 0 }
    var options = StreamOptions()
    options.chunkSize = 4096  // small chunks reach the line-carrying paths with small inputs
    _ = try? InputFormat.load(scratch, as: forced, options: options)
    return 0
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
