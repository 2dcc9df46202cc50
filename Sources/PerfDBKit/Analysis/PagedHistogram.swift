/// The histogram perfdb records raw samples into while streaming: HdrHistogram's log-linear layout
/// at 3 significant digits (2048 linear sub-buckets per power of two, so every bucket is at most
/// 1/1024 of its value wide), with counts in 4 KB pages allocated on first use, so a series that
/// spans two octaves costs a few pages instead of the whole range.
///
/// Values are non-negative integers (ns). ``Distribution`` (hdrhistogram-swift) holds what is
/// stored.
final class PagedHistogram {
    private static let pageShift = 10
    private static let pageSize = 1 << pageShift
    private var pages: [UnsafeMutablePointer<UInt32>?] = []
    private(set) var totalCount = 0

    init() {}

    deinit {
        for page in pages { page?.deallocate() }
    }

    /// The bucket index of `value`: exact below 2048, then 1024 buckets per power of two.
    @inline(__always)
    static func index(_ value: UInt64) -> Int {
        if value < 2048 { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount  // ≥ 11
        let shift = exponent - 10
        let subBucket = Int(value >> UInt64(shift))  // 1024…2047
        return 2048 + (shift - 1) * 1024 + (subBucket - 1024)
    }

    /// The lowest and highest value of bucket `index`.
    static func range(_ index: Int) -> (low: UInt64, high: UInt64) {
        if index < 2048 { return (UInt64(index), UInt64(index)) }
        let shift = (index - 2048) / 1024 + 1
        let subBucket = UInt64((index - 2048) % 1024 + 1024)
        let low = subBucket << UInt64(shift)
        return (low, low + (UInt64(1) << UInt64(shift)) - 1)
    }

    /// The middle value of bucket `index`.
    static func middle(_ index: Int) -> Double {
        let (low, high) = range(index)
        return (Double(low) + Double(high)) / 2
    }

    /// The counts of page `page`, allocated (zeroed) on first use.
    @inline(__always)
    private func storage(page: Int) -> UnsafeMutablePointer<UInt32> {
        if page >= pages.count {
            pages.append(
                contentsOf: [UnsafeMutablePointer<UInt32>?](
                    repeating: nil, count: page + 1 - pages.count))
        }
        if let existing = pages[page] { return existing }
        let created = UnsafeMutablePointer<UInt32>.allocate(capacity: Self.pageSize)
        created.initialize(repeating: 0, count: Self.pageSize)
        pages[page] = created
        return created
    }

    @inline(__always)
    func record(_ value: UInt64, count: Int = 1) {
        let index = Self.index(value)
        storage(page: index >> Self.pageShift)[index & (Self.pageSize - 1)] &+=
            UInt32(truncatingIfNeeded: count)
        totalCount += count
    }

    /// Adds another histogram's counts, page by page.
    func merge(_ other: PagedHistogram) {
        for (page, theirs) in other.pages.enumerated() {
            guard let theirs else { continue }
            let mine = storage(page: page)
            for offset in 0..<Self.pageSize { mine[offset] &+= theirs[offset] }
        }
        totalCount += other.totalCount
    }

    /// Calls `body` with each non-empty bucket's index and count, in ascending order.
    func forEachBucket(_ body: (Int, Int) -> Void) {
        for (page, storage) in pages.enumerated() {
            guard let storage else { continue }
            for offset in 0..<Self.pageSize where storage[offset] != 0 {
                body(page << Self.pageShift | offset, Int(storage[offset]))
            }
        }
    }

    /// Quantiles (0…1) interpolated between closest ranks (rank = p × (n − 1)), each rank
    /// taking its bucket's middle value; all in one pass.
    func quantiles(_ levels: [Double]) -> [Double?] {
        guard totalCount > 0 else { return levels.map { _ in nil } }
        let targets = levels.map { min(max($0, 0), 1) * Double(totalCount - 1) }
        var wanted: [(rank: Int, slot: Int, lower: Bool)] = []
        for (slot, rank) in targets.enumerated() {
            let lower = Int(rank.rounded(.down))
            wanted.append((lower, slot, true))
            wanted.append((min(lower + 1, totalCount - 1), slot, false))
        }
        wanted.sort { $0.rank < $1.rank }
        var lowerValues = [Double](repeating: 0, count: levels.count)
        var upperValues = [Double](repeating: 0, count: levels.count)
        var next = 0
        var seen = 0
        forEachBucket { index, count in
            guard next < wanted.count else { return }
            let end = seen + count
            while next < wanted.count && wanted[next].rank < end {
                let value = Self.middle(index)
                if wanted[next].lower {
                    lowerValues[wanted[next].slot] = value
                } else {
                    upperValues[wanted[next].slot] = value
                }
                next += 1
            }
            seen = end
        }
        return targets.enumerated().map { slot, rank in
            let fraction = rank - rank.rounded(.down)
            return lowerValues[slot] + (upperValues[slot] - lowerValues[slot]) * fraction
        }
    }

    /// The stored form (encoding `hdr-ns-v1`): varints of (bucket index delta, count).
    func encodedBuckets() -> [UInt8] {
        var raw: [UInt8] = []
        var previous = 0
        forEachBucket { index, count in
            Distribution.appendVarint(UInt64(index - previous), to: &raw)
            Distribution.appendVarint(UInt64(count), to: &raw)
            previous = index
        }
        return raw
    }
}
