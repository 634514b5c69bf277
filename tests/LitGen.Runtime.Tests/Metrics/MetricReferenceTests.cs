using System.Text.Json;
using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Metrics;

/// <summary>
/// Every metric against torchmetrics 1.2.1 on the same updates (several batches each): the values in
/// Fixtures/torchmetrics-1.2.1.json were computed by torchmetrics itself (Fixtures/make_reference.py).
/// </summary>
public class MetricReferenceTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var item in Fixture().RootElement.GetProperty("cases").EnumerateArray()) data.Add(item.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonDocument Fixture()
        => JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Metrics", "Fixtures", "torchmetrics-1.2.1.json")));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Equals_torchmetrics(string name)
    {
        using var fixture = Fixture();
        var item = fixture.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        using var metric = Create(item.GetProperty("metric").GetString()!, item.GetProperty("args"));
        foreach (var batch in item.GetProperty("batches").EnumerateArray())
        {
            var shape = batch.GetProperty("preds_shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var preds = tensor(batch.GetProperty("preds").EnumerateArray().Select(v => v.GetSingle()).ToArray()).reshape(shape);
            var target = tensor(batch.GetProperty("target").EnumerateArray().Select(v => v.GetDouble()).ToArray()).to(ScalarType.Int64);
            if (metric is MeanSquaredError or MeanAbsoluteError) target = tensor(batch.GetProperty("target").EnumerateArray().Select(v => v.GetSingle()).ToArray());
            metric.Update(preds, target);
        }
        var expected = item.GetProperty("expected").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var actual = metric.Compute().to(ScalarType.Float64).flatten().data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"{name}[{i}]: torchmetrics {expected[i]}, LitGen {actual[i]}");
    }

    private static Metric Create(string kind, JsonElement args)
    {
        int Int(string key) => args.GetProperty(key).GetInt32();
        Average Avg() => Enum.Parse<Average>(args.GetProperty("average").GetString()!, ignoreCase: true);
        return kind switch
        {
            "MulticlassAccuracy" => new MulticlassAccuracy(Int("numClasses"), Int("topK"), Avg()),
            "MulticlassPrecision" => new MulticlassPrecision(Int("numClasses"), Int("topK"), Avg()),
            "MulticlassRecall" => new MulticlassRecall(Int("numClasses"), Int("topK"), Avg()),
            "MulticlassF1Score" => new MulticlassF1Score(Int("numClasses"), Int("topK"), Avg()),
            "MulticlassAUROC" => new MulticlassAUROC(Int("numClasses"), Avg()),
            "MulticlassConfusionMatrix" => new MulticlassConfusionMatrix(Int("numClasses")),
            "BinaryAccuracy" => new BinaryAccuracy(args.GetProperty("threshold").GetDouble()),
            "BinaryAUROC" => new BinaryAUROC(),
            "MeanSquaredError" => new MeanSquaredError(),
            "MeanAbsoluteError" => new MeanAbsoluteError(),
            _ => throw new ArgumentException(kind),
        };
    }
}
