using static TorchSharp.torch;

namespace InSPO.Actors;

/// <summary>
/// The decentralised policy πⁱ(·|τⁱ) of every agent as tensors on the learner's device, one step at a time:
/// each agent sees its own observation, its last action and its own hidden state (recurrent policies), never
/// its teammates'. A feed-forward policy has no state (<see cref="InitialState"/> null) and ignores the last
/// actions. <see cref="PolicyActor"/> drives it in the rollout.
/// </summary>
public interface IDecentralisedPolicy
{
    /// <summary>The hidden state of <paramref name="episodes"/> episodes at their start (K × N × H), or null.</summary>
    Tensor? InitialState(long episodes) => null;

    /// <summary>One step without gradient: <paramref name="observations"/> K × N × O, <paramref name="available"/>
    /// K × N × A, <paramref name="lastActions"/> K × N (int64, −1 at an episode's first step), <paramref name="hidden"/>
    /// from <see cref="InitialState"/> or the previous call → probabilities K × N × A and the next hidden state.</summary>
    (Tensor Probabilities, Tensor? Hidden) Act(Tensor observations, Tensor available, Tensor lastActions, Tensor? hidden);
}
