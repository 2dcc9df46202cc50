import Foundation
import PerfDBModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// State shared between threads, behind a mutex.
final class Locked<State: Sendable>: Sendable {
    private let mutex: Mutex<State>

    init(_ state: State) { mutex = Mutex(state) }

    /// Runs `body` with the state locked.
    func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&$0) }
    }
}

/// A chunk of whole lines of a stream in a pooled buffer, and where it starts in the stream.
final class Chunk: @unchecked Sendable {
    // Raw memory handed from the reading thread to one parser at a time through ChunkQueue.
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var length = 0
    /// Its place among the stream's chunks, and the stream offset of its first byte.
    var sequence = 0
    var offset = 0
    /// The last chunk of the stream.
    var isLast = false
    /// The Metric lines read so far (NDJSON): the types and thresholds of the metrics.
    var catalog: [String: MetricInfo] = [:]

    init(capacity: Int) {
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: buffer, count: length) }
}

/// A blocking queue of chunks over a fixed pool of buffers: reading waits when the parsers lag,
/// so memory stays flat whatever the input's size.
final class ChunkQueue: Sendable {
    private struct State: Sendable {
        var ready: [Chunk] = []
        var free: [Chunk]
        var closed = false
    }

    private let state: Locked<State>
    /// Counts the free buffers and the ready chunks (and, once closed, wakes every parser).
    /// (Both start at 0 and are raised: libdispatch refuses to free a semaphore below its
    /// starting value.)
    private let freeCount = DispatchSemaphore(value: 0)
    private let readyCount = DispatchSemaphore(value: 0)

    init(buffers: Int, capacity: Int) {
        state = Locked(State(free: (0..<buffers).map { _ in Chunk(capacity: capacity) }))
        for _ in 0..<buffers { freeCount.signal() }
    }

    /// A free buffer, waiting for one.
    func takeFree() -> Chunk {
        freeCount.wait()
        return state.withLock { $0.free.removeLast() }
    }

    func giveBack(_ chunk: Chunk) {
        state.withLock { $0.free.append(chunk) }
        freeCount.signal()
    }

    func push(_ chunk: Chunk) {
        state.withLock { $0.ready.append(chunk) }
        readyCount.signal()
    }

    /// The next ready chunk, or nil once the queue is closed and drained.
    func pop() -> Chunk? {
        readyCount.wait()
        let chunk = state.withLock { $0.ready.isEmpty ? nil : $0.ready.removeFirst() }
        // Closed and drained: pass the wake-up on to the next parser.
        if chunk == nil { readyCount.signal() }
        return chunk
    }

    /// No more chunks come: parsers finish the ready ones, then `pop` returns nil.
    func close() {
        state.withLock { $0.closed = true }
        readyCount.signal()
    }
}

/// The first stage of a raw stream: reads (and inflates) the input into chunks of whole lines,
/// carrying an unfinished line into the next chunk; a line longer than a chunk is an error.
struct ChunkReader {
    let stream: ByteStream
    /// Bytes already read (detection), not yet in a chunk.
    private var pending: [UInt8]
    /// The unfinished line at the end of the last chunk.
    private var carry: [UInt8] = []
    private var ended = false
    /// Stream bytes handed out so far.
    private(set) var offset = 0
    private var sequence = 0

    init(stream: ByteStream, prefix: [UInt8]) {
        self.stream = stream
        pending = prefix
    }

    /// Takes the first line (the CSV header) from the bytes read so far.
    mutating func takeHeader() throws -> [UInt8] {
        guard let newline = pending.firstIndex(of: UInt8(ascii: "\n")) else {
            throw PerfDBError.badInput(stream.name, "a k6 CSV header without data lines")
        }
        let header = Array(pending[...newline])
        pending.removeSubrange(...newline)
        offset += header.count
        return header
    }

    /// A line longer than a chunk (the pipeline names its number once the lines before it are
    /// counted).
    struct LineTooLong: Error {
        var capacity: Int

        /// The error naming the line after `linesBefore` lines.
        func error(_ name: String, linesBefore: Int) -> PerfDBError {
            let limit = capacity >= 1 << 20 ? "\(capacity >> 20) MiB" : "\(capacity) bytes"
            return PerfDBError.badInput(
                name, "a line longer than \(limit) (k6 writes lines of a few hundred bytes)",
                at: "line \(linesBefore + 1)")
        }
    }

    /// Fills `chunk` with the next whole lines; false when the stream has ended.
    ///
    /// A line that does not fit in a chunk throws ``LineTooLong``.
    mutating func fill(_ chunk: Chunk) throws -> Bool {
        while true {
            guard !ended || !pending.isEmpty || !carry.isEmpty else { return false }
            var length = 0
            if carry.count >= chunk.capacity { throw LineTooLong(capacity: chunk.capacity) }
            if !carry.isEmpty {
                carry.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(chunk.buffer, base, raw.count) }
                }
                length = carry.count
                carry.removeAll(keepingCapacity: true)
            }
            if !pending.isEmpty {
                let take = min(pending.count, chunk.capacity - length)
                pending.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(chunk.buffer + length, base, take) }
                }
                length += take
                pending.removeSubrange(..<take)
            }
            while length < chunk.capacity && pending.isEmpty && !ended {
                let got = try stream.read(
                    into: chunk.buffer + length, capacity: chunk.capacity - length)
                if got == 0 { ended = true }
                length += got
            }
            // Cut after the last newline; the rest waits for the next chunk.
            var cut = length
            if !ended || !pending.isEmpty {
                var index = length - 1
                while index >= 0 && chunk.buffer[index] != UInt8(ascii: "\n") { index -= 1 }
                cut = index + 1
            }
            carry.append(
                contentsOf: UnsafeBufferPointer(start: chunk.buffer + cut, count: length - cut))
            if cut == 0 {
                // No newline in a whole chunk: a very long line; read on, or fail.
                if length == 0 { return false }
                continue
            }
            chunk.length = cut
            chunk.sequence = sequence
            chunk.offset = offset
            chunk.isLast = ended && pending.isEmpty && carry.isEmpty
            offset += cut
            sequence += 1
            return true
        }
    }
}
