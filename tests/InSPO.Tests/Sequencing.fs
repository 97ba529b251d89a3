/// Which tests may run beside which in the test host.
///
/// TorchSharp 0.107 passes an implicitly converted Scalar (the `1` behind `a + b`, the coefficients inside its own
/// Adam step) to libtorch by handle and keeps no reference to it, so a garbage collection started by another thread
/// during the native call can finalise the Scalar while libtorch reads it ("Expected false to be true … toFloat at
/// Scalar.h:140", "Unknown scalar type"). A thread cannot start a collection while it is itself inside libtorch, so
/// libtorch work is safe when no other thread of the process allocates meanwhile — the rule every `inspo` process
/// keeps (one working thread; the progress bar drawn from it). The test host keeps it as far as it can: every test
/// that runs code in this process (libtorch or managed code that allocates) belongs to one group that Expecto runs a
/// test at a time; beside it run only the lists whose work is in child processes (their threads here wait and read
/// the children's output).
module InSPO.Tests.Sequencing

open Expecto

/// Marks a test list whose work runs in child processes: it runs beside the in-process group.
let childProcessesOnly (tests: Test) : Test = Test.Sequenced(SequenceMethod.InParallel, tests)

/// The whole test tree with every test not marked childProcessesOnly in one group run a test at a time. (A list
/// marked testSequenced runs alone, after everything else.)
let inProcessOneAtATime (all: Test) : Test = Test.Sequenced(SequenceMethod.SynchronousGroup "in this process", all)
