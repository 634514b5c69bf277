using static TorchSharp.torch;

namespace LitGen.Runtime.Tests.Training;

public class BatchTransferTests
{
    public sealed record Sample(Tensor Image, Tensor Label, string Name);

    // Casting exercises the same traversal as moving between devices, which needs a GPU.
    private static T Cast<T>(T batch) => BatchTransfer.CastFloatingPoint(batch, ScalarType.Float64);

    [Fact]
    public void Tuples_records_arrays_lists_and_dictionaries_are_rebuilt_with_converted_tensors()
    {
        var (x, y) = Cast((ones(2, 3), zeros(2, dtype: ScalarType.Int64)));
        Assert.Equal(ScalarType.Float64, x.dtype);
        Assert.Equal(ScalarType.Int64, y.dtype);

        var record = Cast(new Sample(ones(1), ones(1, dtype: ScalarType.Int32), "a"));
        Assert.Equal(ScalarType.Float64, record.Image.dtype);
        Assert.Equal("a", record.Name);

        Assert.All(Cast(new[] { ones(1), ones(2) }), t => Assert.Equal(ScalarType.Float64, t.dtype));
        Assert.All(Cast(new List<Tensor> { ones(1) }), t => Assert.Equal(ScalarType.Float64, t.dtype));
        var dictionary = Cast(new Dictionary<string, Tensor> { ["x"] = ones(1) });
        Assert.Equal(ScalarType.Float64, dictionary["x"].dtype);
    }

    [Fact]
    public void A_batch_already_converted_is_returned_as_is()
    {
        var batch = (ones(1, dtype: ScalarType.Float64), ones(1, dtype: ScalarType.Int64));
        var same = Cast(batch);
        Assert.Same(batch.Item1, same.Item1);
        var moved = BatchTransfer.ToDevice(batch, CPU);
        Assert.Same(batch.Item1, moved.Item1);
    }

    [Fact]
    public void Batch_size_is_the_first_dimension_of_the_first_tensor()
    {
        Assert.Equal(5, BatchTransfer.InferBatchSize((ones(5, 2), ones(3))));
        Assert.Equal(4, BatchTransfer.InferBatchSize(new Sample(ones(4, 1), ones(4), "s")));
        Assert.Equal(1, BatchTransfer.InferBatchSize("no tensors"));
    }
}
