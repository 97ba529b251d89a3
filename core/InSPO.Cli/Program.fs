open TorchSharp
InSPO.Runtime.TorchRuntime.Initialize()
let x = torch.ones(3L, 3L)
printfn "%A" ((x * 2.0f).sum().item<float32>())
