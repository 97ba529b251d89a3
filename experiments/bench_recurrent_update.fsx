// Does the engine add overhead to a recurrent update? One recurrent BC update (CFCQL's shared GRU agent) on
// SMAC-lite 5m_vs_6m episode batches of 32 and 128 episodes, through the engine and through a hand-written
// TorchSharp loop of the same network and loss, one thread. Run by `dotnet fsi build.fsx -t Bench`.
#load "../scripts/InSPO.fsx"
open InSPO.Envs.Smac
open InSPO.Training

// INSPO_PROFILE=smoke (CI): a few updates on a small dataset, to check the script runs; the numbers mean nothing then.
let smoke = System.Environment.GetEnvironmentVariable "INSPO_PROFILE" = "smoke"
let data = SmacRunEnvironment.ScriptedDataset(SmacMaps.Get "5m_vs_6m", ScriptedPolicies.FocusFire, (if smoke then 40 else 1000), 0)
printfn "\nRecurrent BC update, SMAC-lite 5m_vs_6m (focus fire, 1000 episodes), CPU, 1 thread\n"
printfn "| episodes per batch | engine ms/update | hand-written ms/update | engine / hand-written |"
printfn "| ---: | ---: | ---: | ---: |"
for batch in [ 32; 128 ] do
    let updates = if smoke then 2 elif batch = 32 then 30 else 10
    let t = RecurrentUpdateBenchmark.Measure(data, batch, updates, (if smoke then 1 else 3))
    printfn "| %d | %.1f | %.1f | %.2f |" batch t.EngineMs t.HandWrittenMs t.Ratio
