import { describeCounterStore } from "./counters.suite.ts";
import { createMemoryCounterStore } from "./memory-counters.ts";

describeCounterStore("memory", async () => {
  const store = createMemoryCounterStore();
  return {
    // Replicas of a single process share its one store.
    newStore: async () => store,
    forget: async () => store.clear(),
    close: async () => store.clear(),
  };
});
