// The event engine on small hand-built graphs: ordering, stream serialisation and overlap.
#include <gtest/gtest.h>

#include "clustertwin/sim/task_graph.hpp"

using namespace ct::sim;

TEST(TaskGraph, StreamRunsTasksInOrder) {
  TaskGraph g;
  const StreamId s = g.add_stream("s");
  const TaskId a = g.add_task("a", s, 1.0);
  const TaskId b = g.add_task("b", s, 2.0);
  EXPECT_DOUBLE_EQ(g.run(), 3.0);
  EXPECT_DOUBLE_EQ(g.task(a).start_s, 0.0);
  EXPECT_DOUBLE_EQ(g.task(b).start_s, 1.0);
}

TEST(TaskGraph, IndependentStreamsOverlap) {
  TaskGraph g;
  const StreamId compute = g.add_stream("compute"), comm = g.add_stream("comm");
  g.add_task("gemm", compute, 3.0);
  g.add_task("all-reduce", comm, 2.0);
  EXPECT_DOUBLE_EQ(g.run(), 3.0);  // max(3, 2), not 3 + 2
}

TEST(TaskGraph, FinishToStartDependencyAcrossStreams) {
  TaskGraph g;
  const StreamId a = g.add_stream("a"), b = g.add_stream("b");
  const TaskId x = g.add_task("x", a, 2.0);
  const TaskId y = g.add_task("y", b, 1.0, {{x}});
  g.run();
  EXPECT_DOUBLE_EQ(g.task(y).start_s, 2.0);
  EXPECT_DOUBLE_EQ(g.task(y).end_s, 3.0);
}

TEST(TaskGraph, StartToStartLetsCommunicationOverlapItsProducer) {
  TaskGraph g;
  const StreamId compute = g.add_stream("compute"), comm = g.add_stream("comm");
  const TaskId bwd = g.add_task("backward", compute, 4.0);
  const TaskId rs = g.add_task("reduce-scatter", comm, 3.0, {{bwd, DepKind::StartToStart}});
  g.run();
  EXPECT_DOUBLE_EQ(g.task(rs).start_s, 0.0);
  EXPECT_DOUBLE_EQ(g.task(rs).end_s, 3.0);
}

TEST(TaskGraph, FinishToFinishHoldsATaskUntilItsInputArrives) {
  TaskGraph g;
  const StreamId compute = g.add_stream("compute"), comm = g.add_stream("comm");
  const TaskId gather = g.add_task("all-gather", comm, 5.0);
  const TaskId fwd = g.add_task("forward", compute, 2.0, {{gather, DepKind::FinishToFinish}});
  const TaskId next = g.add_task("next", compute, 1.0);
  g.run();
  EXPECT_DOUBLE_EQ(g.task(fwd).start_s, 0.0);
  EXPECT_DOUBLE_EQ(g.task(fwd).end_s, 5.0);   // held until the gather lands
  EXPECT_DOUBLE_EQ(g.task(next).start_s, 5.0);  // and the stream stays busy meanwhile
}

TEST(TaskGraph, DeadlockIsReported) {
  TaskGraph g;
  const StreamId s = g.add_stream("s");
  const TaskId a = g.add_task("a", s, 1.0);
  const TaskId b = g.add_task("b", s, 1.0);
  g.add_dependency(a, {b});  // a waits for b, but b is behind a on the same stream
  EXPECT_THROW(g.run(), std::logic_error);
}

TEST(TaskGraph, DiamondTakesTheLongestPath) {
  TaskGraph g;
  const StreamId s1 = g.add_stream("1"), s2 = g.add_stream("2"), s3 = g.add_stream("3");
  const TaskId a = g.add_task("a", s1, 1.0);
  const TaskId b = g.add_task("b", s2, 5.0, {{a}});
  const TaskId c = g.add_task("c", s3, 2.0, {{a}});
  const TaskId d = g.add_task("d", s1, 1.0, {{b}, {c}});
  EXPECT_DOUBLE_EQ(g.run(), 7.0);
  EXPECT_DOUBLE_EQ(g.task(d).start_s, 6.0);
}
