import Foundation
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

/// The two line formats of k6's raw stream.
enum StreamFormat: Sendable {
    case ndjson
    case csv
}

/// What one pass over a raw stream found.
struct StreamResult {
    var aggregator: StreamAggregator
    var catalog: [String: MetricInfo]
    var digest: String
    var lines: Int
    var skippedLines: Int
    /// The last line was cut short (k6 killed mid-write) and left out.
    var incomplete: Bool
    var warnings: [String]
    var bytes: Int
}

/// Options of a streaming ingest.
public struct StreamOptions: Sendable {
    /// Parallel parsers.
    public var workers = 2
    /// Bytes per chunk handed to a parser (part of the digest: keep it fixed); also the longest
    /// line accepted.
    public var chunkSize = 2 << 20
    /// Seconds per timeline bucket (0: no timeline).
    public var bucketSeconds = 10.0
    /// Count and skip corrupt lines instead of failing.
    public var skipBadLines = false
    /// Distinct values one tag may take before the ingest stops.
    public var maxTagValues = 1000
    /// Tags never to make series dimensions, besides k6's time-like and per-VU ones.
    public var droppedTags: Set<String> = []
    /// Metric types for metrics the stream does not type itself (k6's CSV): `--metric-type`.
    public var metricTypes: [String: MetricType] = [:]
    /// Called from the reading thread with bytes consumed so far and the total, if known.
    public var progress: (@Sendable (Int, Int?) -> Void)?

    /// Defaults: two parsers, 2 MiB chunks, 10 s buckets.
    public init() {}
}

/// A chunk of whole lines in a pooled buffer.
private final class Chunk: @unchecked Sendable {
    let buffer: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var length = 0
    var sequence = 0
    var isLast = false
    var endsWithNewline = true
    var catalog: [String: MetricInfo] = [:]
    var lineCount = 0

    init(capacity: Int) {
        self.capacity = capacity
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }
}

/// A blocking queue of chunks with a fixed pool of buffers: reading waits when parsers lag,
/// so memory stays flat whatever the input's size.
private final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Chunk] = []
    private var free: [Chunk]
    private var closed = false

    init(buffers: Int, capacity: Int) {
        free = (0..<buffers).map { _ in Chunk(capacity: capacity) }
    }

    func takeFree() -> Chunk {
        condition.lock()
        defer { condition.unlock() }
        while free.isEmpty { condition.wait() }
        return free.removeLast()
    }

    func giveBack(_ chunk: Chunk) {
        condition.lock()
        free.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    func push(_ chunk: Chunk) {
        condition.lock()
        ready.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    func pop() -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !closed { condition.wait() }
        if ready.isEmpty { return nil }
        return ready.removeFirst()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Errors and line counts the parsers report, keyed by chunk so line numbers can be computed.
private final class Findings: @unchecked Sendable {
    private let lock = NSLock()
    var lineCounts: [Int: Int] = [:]
    /// XXH64 and length of each chunk, combined in order into the stream's digest.
    var chunkDigests: [Int: (hash: UInt64, length: Int)] = [:]
    var errors: [(sequence: Int, line: Int, message: String)] = []
    var skipped: [(sequence: Int, line: Int, message: String)] = []
    var incomplete = false
    var failure: Error?
    var cancelled = false

    func record(_ body: (Findings) -> Void) {
        lock.lock()
        body(self)
        lock.unlock()
    }

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}

/// Reads a raw k6 stream in one pass: the calling thread reads (and inflates) chunks of whole
/// lines and digests them; `workers` threads parse chunks into their own aggregators, merged
/// at the end.
enum StreamPipeline {
    static func run(
        _ stream: ByteStream, prefix: [UInt8], format: StreamFormat, options: StreamOptions
    ) throws -> StreamResult {
        let workers = max(1, options.workers)
        let queue = ChunkQueue(buffers: workers + 2, capacity: options.chunkSize)
        let findings = Findings()
        var catalog: [String: MetricInfo] = [:]
        var csvParser: K6CSVLineParser?
        let aggregators = (0..<workers).map { _ in
            StreamAggregator(
                policy: TagPolicy(
                    cardinalityLimit: options.maxTagValues, extraDropped: options.droppedTags),
                bucketSeconds: options.bucketSeconds, catalog: [:],
                forcedTypes: options.metricTypes)
        }

        // The CSV header comes first.
        var pending = prefix
        var headerLines = 0
        if format == .csv {
            guard let newline = pending.firstIndex(of: UInt8(ascii: "\n")) else {
                throw PerfDBError.badInput(stream.name, "a k6 CSV header without data lines")
            }
            var header = Array(pending[..<newline])
            if header.last == UInt8(ascii: "\r") { header.removeLast() }
            if header.starts(with: [0xEF, 0xBB, 0xBF]) { header.removeFirst(3) }
            csvParser = try header.withUnsafeBufferPointer { pointer in
                do {
                    return try K6CSVLineParser(header: pointer)
                } catch let error as StreamLineError {
                    throw PerfDBError.badInput(stream.name, error.message, at: "line 1")
                }
            }
            headerLines = 1
        }
        let parser = csvParser

        let done = DispatchGroup()
        for _ in 0..<workers { done.enter() }
        // Threads signal completion through the group.
        let runners = (0..<workers).map { index -> Thread in
            let aggregator = aggregators[index]
            let thread = Thread {
                while let chunk = queue.pop() {
                    if !findings.isCancelled {
                        aggregator.updateCatalog(chunk.catalog)
                        parse(
                            chunk, format: format, csv: parser, aggregator: aggregator,
                            findings: findings, options: options)
                    }
                    queue.giveBack(chunk)
                }
                done.leave()
            }
            thread.stackSize = 1 << 22
            return thread
        }
        for runner in runners { runner.start() }

        var digest = StreamDigest()
        var sequence = 0
        var total = 0
        var readError: Error?
        if format == .csv, let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            pending.withUnsafeBytes {
                digest.update(UnsafeRawBufferPointer(rebasing: $0[...newline]))
            }
            pending.removeSubrange(...newline)
            total += newline + 1
        }
        var ended = false
        var oversized: [UInt8] = []
        reading: while !ended && !findings.isCancelled {
            let chunk = queue.takeFree()
            var length = 0
            // Carry the unfinished line of the previous block.
            if !oversized.isEmpty {
                // A line must fit in one chunk (a carry as large as the chunk would never end).
                if oversized.count >= chunk.capacity {
                    queue.giveBack(chunk)
                    readError = tooLong(stream, chunk.capacity, sequence, findings, headerLines)
                    break reading
                }
                oversized.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(chunk.buffer, base, raw.count) }
                }
                length = oversized.count
                oversized.removeAll(keepingCapacity: true)
            }
            if !pending.isEmpty {
                let take = min(pending.count, chunk.capacity - length)
                pending.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(chunk.buffer + length, base, take) }
                }
                length += take
                total += take
                pending.removeSubrange(..<take)
            }
            do {
                while length < chunk.capacity && pending.isEmpty {
                    let got = try stream.read(
                        into: chunk.buffer + length, capacity: chunk.capacity - length)
                    if got == 0 {
                        ended = true
                        break
                    }
                    length += got
                    total += got
                }
            } catch {
                queue.giveBack(chunk)
                readError = error
                break reading
            }
            options.progress?(stream.consumed, stream.size)
            // Cut after the last newline; keep the rest for the next chunk.
            var cut = length
            if !ended || !pending.isEmpty {
                var index = length - 1
                while index >= 0 && chunk.buffer[index] != UInt8(ascii: "\n") { index -= 1 }
                if index < 0 {
                    // No newline in a whole chunk: a very long line; grow the carry.
                    oversized.append(
                        contentsOf: UnsafeBufferPointer(start: chunk.buffer, count: length))
                    queue.giveBack(chunk)
                    if oversized.count >= chunk.capacity {
                        readError = tooLong(stream, chunk.capacity, sequence, findings, headerLines)
                        break reading
                    }
                    continue
                }
                cut = index + 1
                oversized.append(
                    contentsOf: UnsafeBufferPointer(start: chunk.buffer + cut, count: length - cut))
            }
            chunk.length = cut
            chunk.sequence = sequence
            chunk.isLast = ended && pending.isEmpty && oversized.isEmpty
            chunk.endsWithNewline = cut > 0 && chunk.buffer[cut - 1] == UInt8(ascii: "\n")
            if format == .ndjson { scanMetricLines(chunk, into: &catalog) }
            chunk.catalog = catalog
            sequence += 1
            queue.push(chunk)
        }
        // An over-long line that never ended.
        if readError == nil && !oversized.isEmpty && ended {
            let chunk = Chunk(capacity: max(oversized.count, 1))
            oversized.withUnsafeBytes { raw in
                if let base = raw.baseAddress { memcpy(chunk.buffer, base, raw.count) }
            }
            chunk.length = oversized.count
            chunk.sequence = sequence
            chunk.isLast = true
            chunk.endsWithNewline = false
            chunk.catalog = catalog
            sequence += 1
            queue.push(chunk)
        }
        queue.close()
        done.wait()
        if let readError {
            throw readError
        }
        if let failure = findings.failure {
            if let error = failure as? PerfDBError {
                throw PerfDBError(error.code, "\(stream.name): \(error.message)")
            }
            throw failure
        }
        if let first = findings.errors.min(by: { ($0.sequence, $0.line) < ($1.sequence, $1.line) })
        {
            let line = lineNumberBefore(first.sequence, findings) + first.line + headerLines
            throw PerfDBError.badInput(
                stream.name, first.message + " (--skip-bad-lines skips such lines)",
                at: "line \(line)")
        }
        var warnings: [String] = []
        if let first = findings.skipped.min(by: { ($0.sequence, $0.line) < ($1.sequence, $1.line) })
        {
            let line = lineNumberBefore(first.sequence, findings) + first.line + headerLines
            warnings.append(
                "\(stream.name): skipped \(findings.skipped.count) bad line(s), the first at line \(line): \(first.message)"
            )
        }
        if findings.incomplete {
            warnings.append(
                "\(stream.name): the last line is cut short (k6 stopped mid-write); the run is stored as incomplete"
            )
        }
        // The stream's digest: the header's bytes, then each chunk's XXH64 and length in order
        // (chunks are cut at fixed sizes and newlines, so the same content digests the same).
        for sequence in findings.chunkDigests.keys.sorted() {
            guard let entry = findings.chunkDigests[sequence] else { continue }
            var words = [entry.hash.littleEndian, UInt64(entry.length).littleEndian]
            words.withUnsafeMutableBytes { digest.update(UnsafeRawBufferPointer($0)) }
        }
        let merged = aggregators[0]
        for other in aggregators.dropFirst() { try merged.merge(other) }
        merged.updateCatalog(catalog)
        let lines = findings.lineCounts.values.reduce(0, +) + headerLines
        return StreamResult(
            aggregator: merged, catalog: catalog, digest: digest.finalize(length: total),
            lines: lines,
            skippedLines: findings.skipped.count, incomplete: findings.incomplete,
            warnings: warnings, bytes: total)
    }

    /// The error for a line that does not fit in a chunk, naming its number.
    private static func tooLong(
        _ stream: ByteStream, _ capacity: Int, _ sequence: Int, _ findings: Findings,
        _ headerLines: Int
    ) -> PerfDBError {
        let limit = capacity >= 1 << 20 ? "\(capacity >> 20) MiB" : "\(capacity) bytes"
        return PerfDBError.badInput(
            stream.name, "a line longer than \(limit) (k6 writes lines of a few hundred bytes)",
            at: "line \(lineNumberBefore(sequence, findings) + headerLines + 1)")
    }

    private static func lineNumberBefore(_ sequence: Int, _ findings: Findings) -> Int {
        var before = 0
        findings.record { findings in
            for (chunk, count) in findings.lineCounts where chunk < sequence { before += count }
        }
        return before
    }

    /// Adds the definitions of the chunk's `{"type":"Metric"…}` lines to the catalog.
    private static func scanMetricLines(_ chunk: Chunk, into catalog: inout [String: MetricInfo]) {
        let needle = Array(#""type":"Metric""#.utf8)
        var offset = 0
        while offset < chunk.length {
            // Metric lines are rare: look for the 'M' of "Metric" and check around it.
            guard
                let found = memchr(
                    chunk.buffer + offset, Int32(UInt8(ascii: "M")), chunk.length - offset)
            else { break }
            let position = found.assumingMemoryBound(to: UInt8.self) - chunk.buffer
            offset = position + 1
            let from = position - 8
            guard from >= 0, from + needle.count <= chunk.length,
                memcmp(chunk.buffer + from, needle, needle.count) == 0
            else { continue }
            var start = from
            while start > 0 && chunk.buffer[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            var stop = position
            while stop < chunk.length && chunk.buffer[stop] != UInt8(ascii: "\n") { stop += 1 }
            if let (name, info) = K6JSONLineParser.metricDefinition(
                UnsafeBufferPointer(start: chunk.buffer + start, count: stop - start))
            {
                catalog[name] = info
            }
            offset = stop + 1
        }
    }

    private static func parse(
        _ chunk: Chunk, format: StreamFormat, csv: K6CSVLineParser?, aggregator: StreamAggregator,
        findings: Findings, options: StreamOptions
    ) {
        var lineNumber = 0
        var start = 0
        var errors: [(Int, Int, String)] = []
        var skipped: [(Int, Int, String)] = []
        var incomplete = false
        var failure: Error?
        let buffer = chunk.buffer
        while start < chunk.length {
            var end = start
            if let found = memchr(buffer + start, Int32(UInt8(ascii: "\n")), chunk.length - start) {
                end = found.assumingMemoryBound(to: UInt8.self) - buffer
            } else {
                end = chunk.length
            }
            lineNumber += 1
            let terminated = end < chunk.length
            var stop = end
            if stop > start && buffer[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
            if stop > start {
                let line = UnsafeBufferPointer(start: buffer + start, count: stop - start)
                do {
                    switch format {
                    case .ndjson: _ = try K6JSONLineParser.parse(line, into: aggregator)
                    case .csv: try csv?.parse(line, into: aggregator)
                    }
                } catch let error as StreamLineError {
                    if chunk.isLast && !terminated {
                        incomplete = true
                    } else if options.skipBadLines {
                        skipped.append((chunk.sequence, lineNumber, error.message))
                    } else {
                        errors.append((chunk.sequence, lineNumber, error.message))
                        break
                    }
                } catch {
                    failure = error
                    break
                }
            }
            start = end + 1
        }
        var hash = XXHash64(seed: 0)
        hash.update(UnsafeRawBufferPointer(start: chunk.buffer, count: chunk.length))
        let chunkDigest = hash.finalize()
        findings.record { findings in
            findings.chunkDigests[chunk.sequence] = (chunkDigest, chunk.length)
            findings.lineCounts[chunk.sequence] = lineNumber
            findings.errors.append(contentsOf: errors.map { ($0.0, $0.1, $0.2) })
            findings.skipped.append(contentsOf: skipped.map { ($0.0, $0.1, $0.2) })
            if incomplete { findings.incomplete = true }
            if let failure, findings.failure == nil { findings.failure = failure }
            if !errors.isEmpty || failure != nil { findings.cancelled = true }
        }
    }
}
