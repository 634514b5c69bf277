using System.Diagnostics;
using System.Text.Json;
using LitGen.Runtime.Tests.Support;
using YamlDotNet.Serialization;

namespace LitGen.Runtime.Tests.Core;

public enum Answer { Yes, No, Off }

/// <summary>Values YAML 1.1 readers get wrong unless they are written carefully.</summary>
[LightningModule]
public partial class YamlTrickyModule : LightningModule<(TorchSharp.torch.Tensor X, TorchSharp.torch.Tensor Y)>
{
    [Hyperparameter] public double LearningRate { get; }
    [Hyperparameter] public double Momentum { get; }
    [Hyperparameter] public double Big { get; }
    [Hyperparameter] public float Tiny { get; }
    [Hyperparameter] public double Missing { get; }
    [Hyperparameter] public Answer Choice { get; }
    [Hyperparameter] public Answer[] Choices { get; }
    [Hyperparameter] public string Word { get; }
    [Hyperparameter] public bool On { get; }
    [Hyperparameter] public int Layers { get; }

    public YamlTrickyModule(double learningRate = 1e-5, double momentum = 3.0, double big = 1e20, float tiny = 1e-7f, double missing = double.NaN,
        Answer choice = Answer.Yes, Answer[]? choices = null, string word = "yes", bool on = true, int layers = 3)
    {
        (LearningRate, Momentum, Big, Tiny, Missing, Choice, Choices, Word, On, Layers) =
            (learningRate, momentum, big, tiny, missing, choice, choices ?? [Answer.Off, Answer.No], word, on, layers);
    }
}

public class HparamsYamlTests
{
    private static readonly string Yaml = new YamlTrickyModule().Hparams.ToYaml();

    [Fact]
    public void A_YAML_parser_reads_back_every_value_with_its_type()
    {
        var values = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize<Dictionary<string, object>>(Yaml);
        // A number, not a string (YamlDotNet picks the narrowest numeric type).
        Assert.Equal(1e-5, Convert.ToDouble(values["LearningRate"]), 1e-6 * 1e-5);
        Assert.Equal(3.0, Convert.ToDouble(values["Momentum"]));
        Assert.Equal(1e20, Convert.ToDouble(values["Big"]), 1e-6 * 1e20);
        Assert.All(new[] { "LearningRate", "Momentum", "Big", "Tiny" }, key => Assert.IsNotType<string>(values[key]));
        Assert.Equal("Yes", values["Choice"]);
        Assert.Equal(["Off", "No"], ((List<object>)values["Choices"]).Cast<string>());
        Assert.Equal("yes", values["Word"]);
        Assert.True(values.ContainsKey("On"));
        Assert.Contains("LearningRate: 1.0e-05\n", Yaml);
        Assert.Contains("Momentum: 3.0\n", Yaml);
    }

    [PyYamlFact]
    public void PyYAML_the_reader_of_Lightning_and_Python_tools_reads_back_every_value_with_its_type()
    {
        var path = Path.Combine(Path.GetTempPath(), $"litgen-hparams-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, Yaml);
        try
        {
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import json, math, sys, yaml\nv = yaml.safe_load(open(sys.argv[1]))\n" +
                "print(json.dumps({str(k): [type(x).__name__, None if isinstance(x, float) and math.isnan(x) else x] for k, x in v.items()}))");
            start.ArgumentList.Add(path);
            using var python = Process.Start(start)!;
            var output = python.StandardOutput.ReadToEnd();
            var errors = python.StandardError.ReadToEnd();
            python.WaitForExit();
            Assert.True(python.ExitCode == 0, errors);
            using var read = JsonDocument.Parse(output);
            string Type(string key) => read.RootElement.GetProperty(key)[0].GetString()!;
            JsonElement Value(string key) => read.RootElement.GetProperty(key)[1];
            Assert.Equal(("float", 1e-5), (Type("LearningRate"), Value("LearningRate").GetDouble()));
            Assert.Equal(("float", 3.0), (Type("Momentum"), Value("Momentum").GetDouble()));
            Assert.Equal(("float", 1e20), (Type("Big"), Value("Big").GetDouble()));
            Assert.Equal("float", Type("Tiny"));
            Assert.Equal("float", Type("Missing"));
            Assert.Equal(("str", "Yes"), (Type("Choice"), Value("Choice").GetString()));
            Assert.Equal(["Off", "No"], Value("Choices").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(("str", "yes"), (Type("Word"), Value("Word").GetString()));
            Assert.Equal(("bool", true), (Type("On"), Value("On").GetBoolean()));
            Assert.Equal(("int", 3), (Type("Layers"), Value("Layers").GetInt32()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
