using System.Diagnostics;
using InSPO.Algorithms;
using InSPO.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace InSPO.Training;

/// <summary>Milliseconds per update of the engine's recurrent BC and of a hand-written loop of the same network and
/// loss, on the same episode batches.</summary>
public sealed record RecurrentUpdateTiming(string Map, int EpisodeBatch, double EngineMs, double HandWrittenMs)
{
    public double Ratio => EngineMs / HandWrittenMs;
}

/// <summary>
/// Does the engine add overhead of its own to a recurrent update? Times one BC update (CFCQL's: shared GRU agent of
/// 64 units with agent id and last action, masked cross-entropy, Adam, gradient clip 10) through the learner, the
/// buffer's episode batches and the factory's network, against a plain TorchSharp loop that a user would write for
/// the same network and loss (PyMARL's shape: the whole agent applied step by step). One intra-op thread, CPU.
/// </summary>
public static class RecurrentUpdateBenchmark
{
    public static RecurrentUpdateTiming Measure(EpisodeDataset data, int episodeBatch, int updates = 20, int warmup = 3)
    {
        set_num_threads(1);
        var profile = Profiles.Quick;
        var hyper = new Dictionary<string, double> { ["episode_batch"] = episodeBatch };
        using var buffer = new DeviceEpisodeBuffer(data, CPU);
        using var init = new Generator(0, CPU);
        using var learner = Learners.Create("bc", data.Spec, hyper, profile, CPU, init);
        var engine = Time(updates, warmup, new Generator(1, CPU), g => learner.Step(0, 1, buffer, g));
        using var reference = new HandWrittenRecurrentBc(data.Spec.ObservationSize, data.Spec.Agents, data.Spec.Actions, 64, init);
        var hand = Time(updates, warmup, new Generator(1, CPU), g => reference.Update(buffer, episodeBatch, g));
        return new RecurrentUpdateTiming(data.Spec.Name, episodeBatch, engine, hand);
    }

    static double Time(int updates, int warmup, Generator generator, Action<Generator> update)
    {
        for (int k = 0; k < warmup; k++) using (NewDisposeScope()) update(generator);
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < updates; k++) using (NewDisposeScope()) update(generator);
        return clock.Elapsed.TotalMilliseconds / updates;
    }

    /// <summary>The reference: Linear → ReLU → GRUCell → Linear over [obs, last action, agent id], step by step.</summary>
    sealed class HandWrittenRecurrentBc : IDisposable
    {
        readonly TorchSharp.Modules.Linear fc1, fc2;
        readonly TorchSharp.Modules.GRUCell gru;
        readonly optim.Optimizer adam;
        readonly int agents, actions, hidden;

        public HandWrittenRecurrentBc(int obs, int agents, int actions, int hidden, Generator init)
        {
            this.agents = agents; this.actions = actions; this.hidden = hidden;
            fc1 = nn.Linear(obs + actions + agents, hidden);
            gru = nn.GRUCell(hidden, hidden);
            fc2 = nn.Linear(hidden, actions);
            adam = optim.Adam(fc1.parameters().Concat(gru.parameters()).Concat(fc2.parameters()), 5e-4);
        }

        public void Update(DeviceEpisodeBuffer data, int batch, Generator g)
        {
            var episodes = randint(0, data.Episodes, new long[] { batch }, dtype: int64, generator: g);
            long t1 = data.Lengths.index_select(0, episodes).max().item<long>() + 1;
            var obs = data.Observations.index_select(0, episodes).narrow(1, 0, t1);
            var act = data.Actions.index_select(0, episodes).narrow(1, 0, t1);
            var avail = data.Available.index_select(0, episodes).narrow(1, 0, t1);
            var mask = data.Filled.index_select(0, episodes).narrow(1, 0, t1);
            var ids = eye(agents).expand(batch, agents, agents);
            var h = zeros(batch * agents, hidden);
            var logps = new List<Tensor>();
            for (long t = 0; t < t1; t++)
            {
                var last = t == 0 ? zeros(batch, agents, actions) : nn.functional.one_hot(act.select(1, t - 1), actions).to_type(float32);
                var x = cat(new[] { obs.select(1, t), last, ids }, -1).view(batch * agents, -1);
                h = gru.forward(nn.functional.relu(fc1.forward(x)), h);
                var logits = fc2.forward(h).view(batch, agents, actions).masked_fill(avail.select(1, t).logical_not(), -1e10f);
                logps.Add(nn.functional.log_softmax(logits, -1).gather(-1, act.select(1, t).unsqueeze(-1)).squeeze(-1));
            }
            var m = mask.unsqueeze(-1).expand(batch, t1, agents);
            var loss = -(stack(logps, 1) * m).sum() / m.sum();
            adam.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(fc1.parameters().Concat(gru.parameters()).Concat(fc2.parameters()), 10);
            adam.step();
        }

        public void Dispose() { fc1.Dispose(); gru.Dispose(); fc2.Dispose(); }
    }
}
