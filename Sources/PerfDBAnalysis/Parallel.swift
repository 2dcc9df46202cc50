import Foundation

/// Independent judgements spread over the machine's cores.
enum Parallel {
    /// `body` of each index below `count`, in index order; on every core, in a few chunks a
    /// core, once there are `sequentialBelow` indices (fewer are not worth a thread).
    ///
    /// Each index's result is written once, by the chunk that made it, before any is read.
    static func map<Result: Sendable>(
        _ count: Int, sequentialBelow: Int = 64, _ body: @Sendable (Int) -> Result
    ) -> [Result] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard count >= sequentialBelow, cores > 1 else { return (0..<count).map(body) }
        let chunks = min(count, cores * 4)
        var results = [Result?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let output = Output(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for index in (chunk * count / chunks)..<((chunk + 1) * count / chunks) {
                    output.buffer[index] = body(index)
                }
            }
        }
        return results.compactMap { $0 }
    }

    /// The results' room, handed to the chunks: each writes only its own indices.
    private struct Output<Result>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Result?>
    }
}
