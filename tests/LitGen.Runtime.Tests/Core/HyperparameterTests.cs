using System.Text.Json;
using LitGen.Runtime.Tests.Support;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Core;

public enum Schedule { Constant, Cosine, Linear }

/// <summary>A nested hyperparameter object (a positional record), itself holding one.</summary>
public sealed record OptimizerSettings(double Lr, int[] Milestones, Schedule Mode, Warmup? Warmup);

public sealed record Warmup(string Kind, int Steps);

/// <summary>Every supported hyperparameter shape.</summary>
[LightningModule]
public partial class EveryShapeModule : LightningModule<Tensor>
{
    [Hyperparameter] public double Rate { get; }
    [Hyperparameter] public float Scale { get; }
    [Hyperparameter] public long Seed { get; }
    [Hyperparameter] public decimal Budget { get; }
    [Hyperparameter] public bool Flag { get; }
    [Hyperparameter] public string Name { get; }
    [Hyperparameter] public string? Comment { get; }
    [Hyperparameter] public int? MaybeSize { get; }
    [Hyperparameter] public Schedule Schedule { get; }
    [Hyperparameter] public Schedule? MaybeSchedule { get; }
    [Hyperparameter] public int[] Layers { get; }
    [Hyperparameter] public IReadOnlyList<string> Tags { get; }
    [Hyperparameter] public List<Schedule> Phases { get; }
    [Hyperparameter] public byte Small;
    [Hyperparameter] public OptimizerSettings? Optim { get; }

    public EveryShapeModule(string name, int[] layers, IReadOnlyList<string> tags, List<Schedule> phases, double rate = 1e-3, float scale = 0.5f,
        long seed = long.MaxValue, decimal budget = 12.5m, bool flag = true, string? comment = null, int? maybeSize = null,
        Schedule schedule = Schedule.Cosine, Schedule? maybeSchedule = null, byte small = 7, OptimizerSettings? optim = null)
    {
        Optim = optim;
        (Name, Layers, Tags, Phases, Rate, Scale, Seed, Budget, Flag, Comment, MaybeSize, Schedule, MaybeSchedule, Small) =
            (name, layers, tags, phases, rate, scale, seed, budget, flag, comment, maybeSize, schedule, maybeSchedule, small);
    }
}

public class HyperparameterTests
{
    private static EveryShapeModule.HyperParameters Sample() => new()
    {
        Name = "quote \" backslash \\ unicode é 名",
        Layers = [784, 256, 10],
        Tags = ["a", "b,c"],
        Phases = [Schedule.Linear, Schedule.Constant],
        Rate = 0.1 + 0.2,
        Scale = float.Epsilon,
        Seed = long.MinValue,
        Budget = 0.1m,
        Flag = false,
        Comment = null,
        MaybeSize = 3,
        Schedule = Schedule.Linear,
        MaybeSchedule = Schedule.Cosine,
        Small = 255,
        Optim = new OptimizerSettings(0.1, [3, 6], Schedule.Linear, new Warmup("linear \"fast\"", 100)),
    };

    [Fact]
    public void Json_round_trips_every_shape_exactly()
    {
        var original = Sample();
        var copy = EveryShapeModule.HyperParameters.FromJson(original.ToJson());

        Assert.Equal(original.Name, copy.Name);
        Assert.Equal(original.Layers, copy.Layers);
        Assert.Equal(original.Tags, copy.Tags);
        Assert.Equal(original.Phases, copy.Phases);
        Assert.Equal(BitConverter.DoubleToInt64Bits(original.Rate), BitConverter.DoubleToInt64Bits(copy.Rate));
        Assert.Equal(original.Scale, copy.Scale);
        Assert.Equal(original.Optim!.Milestones, copy.Optim!.Milestones);
        Assert.Equal(original.Optim with { Milestones = copy.Optim.Milestones }, copy.Optim);
        Assert.Equal(original with { Layers = copy.Layers, Tags = copy.Tags, Phases = copy.Phases, Optim = copy.Optim }, copy);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(5e-324)]
    [InlineData(-0.0)]
    public void Non_finite_and_extreme_doubles_round_trip(double rate)
    {
        var copy = EveryShapeModule.HyperParameters.FromJson((Sample() with { Rate = rate }).ToJson());
        Assert.Equal(BitConverter.DoubleToInt64Bits(rate), BitConverter.DoubleToInt64Bits(copy.Rate));
    }

    [Fact]
    public void Missing_members_take_the_constructor_defaults_and_required_ones_must_be_present()
    {
        var minimal = """{ "Name": "n", "Layers": [1], "Tags": [], "Phases": ["Cosine"] }""";
        var parsed = EveryShapeModule.HyperParameters.FromJson(minimal);
        Assert.Equal(1e-3, parsed.Rate);
        Assert.Equal(Schedule.Cosine, parsed.Schedule);
        Assert.Equal(7, parsed.Small);
        Assert.Null(parsed.Optim);
        var nested = EveryShapeModule.HyperParameters.FromJson("""{ "Name": "n", "Layers": [], "Tags": [], "Phases": [], "Optim": { "Lr": 2, "Milestones": [], "Mode": "Constant", "Warmup": null } }""");
        Assert.Equal(new OptimizerSettings(2, nested.Optim!.Milestones, Schedule.Constant, null), nested.Optim);
        Assert.Throws<FormatException>(() => EveryShapeModule.HyperParameters.FromJson("""{ "Name": "n", "Layers": [], "Tags": [], "Phases": [], "Optim": { "Milestones": [] } }"""));
        Assert.Equal(long.MaxValue, parsed.Seed);

        var error = Assert.Throws<FormatException>(() => EveryShapeModule.HyperParameters.FromJson("""{ "Layers": [1], "Tags": [], "Phases": [] }"""));
        Assert.Contains("'Name'", error.Message);
        Assert.Throws<FormatException>(() => EveryShapeModule.HyperParameters.FromJson("""{ "Name": "n", "Layers": [1], "Tags": [], "Phases": ["Nope"] }"""));
        Assert.Throws<FormatException>(() => EveryShapeModule.HyperParameters.FromJson("""{ "Name": "n", "Layers": "x", "Tags": [], "Phases": [] }"""));
    }

    [Fact]
    public void Json_is_in_declaration_order_and_yaml_is_readable()
    {
        var json = Sample().ToJson();
        using var document = JsonDocument.Parse(json);
        Assert.Equal(["Rate", "Scale", "Seed", "Budget", "Flag", "Name", "Comment", "MaybeSize", "Schedule", "MaybeSchedule", "Layers", "Tags", "Phases", "Small", "Optim"],
            document.RootElement.EnumerateObject().Select(p => p.Name));
        var yaml = Sample().ToYaml();
        Assert.Contains("Layers: [784, 256, 10]\n", yaml);
        Assert.Contains("Tags: [\"a\", \"b,c\"]\n", yaml);
        Assert.Contains("Phases: [\"Linear\", \"Constant\"]\n", yaml);
        Assert.Contains("Comment: null\n", yaml);
        Assert.Contains("Rate: 0.30000000000000004\n", yaml);
        Assert.Contains("Optim: {Lr: 0.1, Milestones: [3, 6], Mode: \"Linear\", Warmup: {Kind: \"linear \\\"fast\\\"\", Steps: 100}}\n", yaml);
    }

    [Fact]
    public void Hparams_reflects_the_module_and_LoadFromCheckpoint_passes_them_back()
    {
        using var dir = new TempDir();
        var module = new EveryShapeModule("net", [3, 2], ["x"], [Schedule.Linear], rate: 0.25, small: 9);
        Assert.Equal(0.25, module.Hparams.Rate);
        Assert.Equal(9, module.Hparams.Small);

        var path = Path.Combine(dir.Path, "m.ckpt");
        new LitGen.Checkpoint
        {
            ModuleType = typeof(EveryShapeModule).FullName!,
            HyperparametersJson = module.Hparams.ToJson(),
            StateDict = module.state_dict(),
        }.Save(path);
        var restored = EveryShapeModule.LoadFromCheckpoint(path, hp => hp with { Tags = ["y", "z"] });
        Assert.Equal([3, 2], restored.Layers);
        Assert.Equal(["y", "z"], restored.Tags);
        Assert.Equal(0.25, restored.Rate);
        Assert.Equal(9, restored.Small);
    }
}
