using System.Linq;
using LitGen.Generators.Model;
using LitGen.Shared;

namespace LitGen.Generators.Emit;

/// <summary>
/// The loop half of a module's file: the hook dispatch table (<c>OverriddenHooks</c>) and the <c>LoopDriver</c> struct
/// whose per-batch methods come from the shared hook table.
/// </summary>
internal static class DriverEmitter
{
    private const string GeneratedCode = ModuleEmitter.GeneratedCode;

    public static void Emit(SourceWriter writer, TypeModel type, DriverModel driver)
    {
        var overridden = HookTable.All.Where(h => (driver.OverriddenHooks & h.Hook) != 0).ToList();
        var flags = overridden.Count == 0
            ? "global::LitGen.ModuleHooks.None"
            : string.Join("\n        | ", overridden.Select(h => "global::LitGen.ModuleHooks." + h.Name));
        writer.Line("/// <summary>The hooks this class overrides, so the trainer skips what is not there.</summary>")
            .Line(GeneratedCode)
            .Line($"protected override global::LitGen.ModuleHooks OverriddenHooks => {flags};")
            .Line();

        var batch = driver.BatchType;
        bool Overrides(ModuleHooks hook) => (driver.OverriddenHooks & hook) != 0;
        writer.Line(GeneratedCode)
            .Line($"protected override TResult AcceptLoopVisitor<TResult>(global::LitGen.ILoopVisitor<{batch}, TResult> visitor) => visitor.Visit(new LoopDriver(this));")
            .Line()
            .Line("/// <summary>")
            .Line($"/// The trainer's per-batch calls for <see cref=\"{type.ClassName}\"/>: overridden hooks are called directly,")
            .Line("/// the others are empty, so the JIT specializes the trainer's loops for this module.")
            .Line("/// </summary>")
            .Line(GeneratedCode)
            .Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]")
            .Open($"public readonly struct LoopDriver : global::LitGen.ILoopDriver<{batch}>")
            .Line($"private readonly {type.FullyQualifiedName} module;")
            .Line()
            .Line($"public LoopDriver({type.FullyQualifiedName} module) => this.module = module;")
            .Line();

        writer.Open($"public {batch} TransferBatch({batch} batch, global::TorchSharp.torch.Device device, int dataloaderIdx)");
        if (Overrides(ModuleHooks.OnBeforeBatchTransfer)) writer.Line("batch = module.OnBeforeBatchTransfer(batch, dataloaderIdx);");
        writer.Line(Overrides(ModuleHooks.TransferBatchToDevice)
            ? "batch = module.TransferBatchToDevice(batch, device, dataloaderIdx);"
            : "batch = global::LitGen.BatchTransfer.ToDevice(batch, device);");
        if (Overrides(ModuleHooks.OnAfterBatchTransfer)) writer.Line("batch = module.OnAfterBatchTransfer(batch, dataloaderIdx);");
        writer.Line("return batch;").Close();

        foreach (var hook in HookTable.All.Where(h => h.IsPerBatch))
        {
            var signature = $"public {hook.DriverReturn} {hook.Name}({hook.DriverParameters!.Replace("{TBatch}", batch)})";
            if (Overrides(hook.Hook) || hook.DriverDefault is null)
                writer.Line($"{signature} => module.{hook.Name}({hook.DriverArguments});");
            else
                writer.Line(hook.DriverDefault.Length == 0 ? signature + " { }" : $"{signature} => {hook.DriverDefault};");
        }
        writer.Close();
    }
}
