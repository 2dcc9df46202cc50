import Foundation

/// Work on real threads, for tests of code that blocks while it waits for a server (the
/// cooperative pool has a thread per core, and blocking work on it runs two at a time).
public enum Threads {
    /// Runs `body(0..<count)` each on its own thread, all at once, and returns their results
    /// in index order; the first error thrown is rethrown after every thread has finished.
    public static func run<T: Sendable>(
        _ count: Int, _ body: @escaping @Sendable (Int) throws -> T
    ) throws -> [T] {
        let results = Results<T>(count)
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                results.set(index, Result { try body(index) })
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        group.wait()
        return try results.values()
    }

    private final class Results<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Result<T, any Error>?]

        init(_ count: Int) { slots = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ result: Result<T, any Error>) {
            lock.lock()
            defer { lock.unlock() }
            slots[index] = result
        }

        func values() throws -> [T] {
            lock.lock()
            defer { lock.unlock() }
            return try slots.map { slot in
                guard let slot else { throw CancellationError() }
                return try slot.get()
            }
        }
    }
}
