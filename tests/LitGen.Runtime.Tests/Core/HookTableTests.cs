using System.Reflection;
using LitGen.Shared;
using RuntimeHooks = LitGen.ModuleHooks;

namespace LitGen.Runtime.Tests.Core;

/// <summary>
/// The shared hook table (src/Shared/HookTable.cs) against what the runtime declares, by reflection: a hook added in
/// one place and not the others fails here, naming it.
/// </summary>
public class HookTableTests
{
    // Lightning's callback-only hooks, and LitGen's "completed" hooks (after a batch or an evaluation run is wholly done).
    private static readonly string[] CallbackOnlyHooks =
        ["OnSanityCheckStart", "OnSanityCheckEnd", "OnException", "OnTrainBatchCompleted", "OnEvaluationBatchCompleted", "OnEvaluationCompleted"];

    private static IEnumerable<string> NewVirtuals(Type type) => type
        .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        .Where(m => m.IsVirtual && !m.IsFinal && m.GetBaseDefinition().DeclaringType == m.DeclaringType && !m.IsSpecialName)
        .Select(m => m.Name);

    [Fact]
    public void The_table_lists_every_flag_once_in_bit_order()
    {
        var flags = Enum.GetValues<RuntimeHooks>().Where(h => h != RuntimeHooks.None).ToArray();
        Assert.Equal(flags.Select(f => (f.ToString(), (long)f)), HookTable.All.Select(h => (h.Name, (long)h.Hook)));
        for (int i = 0; i < flags.Length; i++) Assert.Equal(1L << i, (long)flags[i]);
        Assert.All(HookTable.All, h => Assert.Same(h, HookTable.Of(h.Hook)));
    }

    [Fact]
    public void Every_module_hook_is_in_the_table_and_every_table_hook_is_a_module_virtual()
    {
        var declared = NewVirtuals(typeof(LightningModule)).Concat(NewVirtuals(typeof(LightningModule<>))).Order().ToList();
        Assert.Equal(HookTable.All.Select(h => h.Name).Order(), declared);
        foreach (var hook in HookTable.All)
        {
            var declaring = hook.Kind == HookKind.Module ? typeof(LightningModule) : typeof(LightningModule<>);
            Assert.True(declaring.GetMethod(hook.Name) is { IsVirtual: true }, $"{hook.Name} is not a virtual of {declaring.Name}");
        }
    }

    [Fact]
    public void The_loop_driver_has_exactly_the_per_batch_hooks()
    {
        var expected = HookTable.All.Where(h => h.IsPerBatch).Select(h => h.Name).Append(nameof(ILoopDriver<int>.TransferBatch)).Order();
        Assert.Equal(expected, typeof(ILoopDriver<>).GetMethods().Select(m => m.Name).Order());
    }

    [Fact]
    public void Callbacks_have_exactly_the_hooks_the_table_gives_them()
    {
        var hooks = NewVirtuals(typeof(Callback)).Except([nameof(Callback.StateDict), nameof(Callback.LoadStateDict)]).Order().ToList();
        var expected = HookTable.All.Where(h => h.HasCallback).Select(h => h.Name).Concat(CallbackOnlyHooks).Order().ToList();
        Assert.Equal(expected, hooks);
    }

    [Fact]
    public void Module_and_callback_hooks_take_the_same_arguments_after_trainer_and_module()
    {
        foreach (var hook in HookTable.All.Where(h => h.HasCallback))
        {
            var declaring = hook.Kind == HookKind.Module ? typeof(LightningModule) : typeof(LightningModule<>);
            var moduleParameters = declaring.GetMethod(hook.Name)!.GetParameters().Select(p => p.Name);
            var callbackParameters = typeof(Callback).GetMethod(hook.Name)!.GetParameters().Skip(2).Select(p => p.Name);
            Assert.Equal(moduleParameters, callbackParameters);
        }
    }
}
