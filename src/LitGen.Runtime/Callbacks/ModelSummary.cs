using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LitGen;

/// <summary>
/// Prints the module's layers with their parameter counts when fitting starts (Lightning's <c>ModelSummary</c>):
/// one row per submodule down to <see cref="MaxDepth"/>, then total, trainable and non-trainable parameters and
/// the estimated size of the parameters. With <see cref="LightningModule.ExampleInputArray"/> set on a module with a
/// <c>forward</c>, it runs the example and adds each layer's input and output sizes (for layers called through
/// <c>call</c>, as <c>Sequential</c> does: TorchSharp runs forward hooks there).
/// </summary>
public class ModelSummary : Callback
{
    /// <summary>How deep to list submodules (default 1: the module's direct children).</summary>
    public int MaxDepth { get; init; } = 1;

    /// <summary>The last summary printed.</summary>
    public string? Text { get; private set; }

    /// <inheritdoc />
    public override void OnFitStart(Trainer trainer, LightningModule module)
    {
        var summary = Collect(module, MaxDepth);
        Text = summary.Format();
        var logger = trainer.Messages.Logger(nameof(ModelSummary));
        if (!trainer.Messages.UsesLogger)
        {
            TrainerLog.ModelSummaryTable(logger, Text);
            return;
        }
        // A logging pipeline gets the table as data: one event per layer, one for the totals.
        for (int i = 0; i < summary.Rows.Count; i++) TrainerLog.ModelSummaryLayer(logger, i, summary.Rows[i].Name, summary.Rows[i].Type, summary.Rows[i].Parameters);
        TrainerLog.ModelSummaryTotals(logger, module.GetType().Name, summary.Trainable, summary.Total - summary.Trainable, summary.Total, summary.Megabytes);
    }

    /// <summary>The summary table of <paramref name="module"/>.</summary>
    public static string Summarize(LightningModule module, int maxDepth = 1) => Collect(module, maxDepth).Format();

    private static Summary Collect(LightningModule module, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(module);
        var rows = new List<(string Name, string Type, long Parameters)>();
        var children = new List<TorchSharp.torch.nn.Module>();
        foreach (var (name, child) in module.named_modules())
        {
            if (name.Length == 0) continue;
            int depth = name.Count(c => c == '.') + 1;
            if (depth > maxDepth) continue;
            rows.Add((name, child.GetType().Name, child.parameters().Sum(p => p.numel())));
            children.Add(child);
        }
        var sizes = module.ExampleInputArray is { } example ? LayerSizes(module, example, children) : null;
        var parameters = module.parameters().ToList();
        long total = parameters.Sum(p => p.numel());
        long trainable = parameters.Where(p => p.requires_grad).Sum(p => p.numel());
        double megabytes = parameters.Sum(p => p.numel() * p.element_size()) / 1e6;
        return new Summary(rows, sizes, total, trainable, megabytes);
    }

    /// <summary>What the summary says: its rows (with input and output sizes when an example ran) and parameter totals.</summary>
    private sealed record Summary(List<(string Name, string Type, long Parameters)> Rows, List<(string In, string Out)>? Sizes, long Total, long Trainable, double Megabytes)
    {
        /// <summary>Lightning's table.</summary>
        public string Format()
        {
            var (rows, sizes, total, trainable, megabytes) = (Rows, Sizes, Total, Trainable, Megabytes);
            int nameWidth = Math.Max(4, rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
            int typeWidth = Math.Max(4, rows.Select(r => r.Type.Length).DefaultIfEmpty(0).Max());
            var text = new StringBuilder();
            int inWidth = sizes is null ? 0 : Math.Max(8, sizes.Max(s => s.In.Length));
            string SizeColumns(int row) => sizes is null ? "" : $" | {sizes[row].In.PadRight(inWidth)} | {sizes[row].Out}";
            text.AppendLine($"  | {"Name".PadRight(nameWidth)} | {"Type".PadRight(typeWidth)} | {"Params",-8}" + (sizes is null ? "" : $" | {"In sizes".PadRight(inWidth)} | Out sizes"));
            int rule = nameWidth + typeWidth + 20 + (sizes is null ? 0 : inWidth + 16);
            text.AppendLine(new string('-', rule));
            for (int i = 0; i < rows.Count; i++)
                text.AppendLine(($"{i,-2}| {rows[i].Name.PadRight(nameWidth)} | {rows[i].Type.PadRight(typeWidth)} | {Count(rows[i].Parameters),-8}" + SizeColumns(i)).TrimEnd());
            text.AppendLine(new string('-', rule));
            text.AppendLine($"{Count(trainable),-10}Trainable params");
            text.AppendLine($"{Count(total - trainable),-10}Non-trainable params");
            text.AppendLine($"{Count(total),-10}Total params");
            text.Append($"{megabytes.ToString("0.000", CultureInfo.InvariantCulture),-10}Total estimated model params size (MB)");
            return text.ToString();
        }
    }

    /// <summary>Runs the example through the module's forward with hooks on the listed layers, recording their tensor shapes.</summary>
    private static List<(string In, string Out)> LayerSizes(LightningModule module, object example, List<TorchSharp.torch.nn.Module> layers)
    {
        var sizes = layers.Select(_ => ("?", "?")).ToList();
        var removers = new List<Action>();
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> layer) continue;
            int row = i;
            var remover = layer.register_forward_hook((_, input, output) =>
            {
                sizes[row] = (Shape(input), Shape(output));
                return output;
            });
            removers.Add(remover.remove);
        }
        bool training = module.training;
        try
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            using var noGrad = TorchSharp.torch.no_grad();
            module.eval();
            module.ForwardExample(example);
        }
        finally
        {
            foreach (var remove in removers) remove();
            module.train(training);
        }
        return sizes;
    }

    private static string Shape(TorchSharp.torch.Tensor tensor) => "[" + string.Join(", ", tensor.shape) + "]";

    private static string Count(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " B",
        >= 1_000_000 => (n / 1e6).ToString("0.0", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (n / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " K",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };
}
