using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Direct access to a <see cref="TensorBoardLogger"/>'s event file beyond scalars, as Lightning's <c>logger.experiment</c>
/// (PyTorch's <c>SummaryWriter</c>) gives it: histograms, images and text at any step. As in Lightning, only the
/// process of rank 0 writes; on the others every call does nothing.
/// </summary>
public sealed class TensorBoardExperiment
{
    private readonly Func<EventFileWriter>? open;

    internal TensorBoardExperiment(Func<EventFileWriter>? open) => this.open = open;

    /// <summary>A scalar, as <c>add_scalar</c>.</summary>
    public void AddScalar(string tag, double value, long step) => Writer()?.WriteScalar(Tag(tag), (float)value, step);

    /// <summary>The distribution of <paramref name="values"/> (e.g. a layer's weights), as <c>add_histogram</c>.</summary>
    public void AddHistogram(string tag, Tensor values, long step, int buckets = 30)
    {
        ArgumentNullException.ThrowIfNull(values);
        Writer()?.WriteHistogram(Tag(tag), Histogram.Of(values, buckets), step);
    }

    /// <summary>
    /// An image, as <c>add_image</c>: a tensor <c>(C, H, W)</c> with 1, 3 or 4 channels, values in [0, 1] (floating point) or
    /// 0 … 255 (bytes); <c>(H, W)</c> is grayscale.
    /// </summary>
    public void AddImage(string tag, Tensor image, long step)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (open is null) return;
        using var scope = NewDisposeScope();
        var chw = image.dim() == 2 ? image.unsqueeze(0) : image;
        if (chw.dim() != 3 || chw.shape[0] is not (1 or 3 or 4))
            throw new ArgumentException($"An image is (C, H, W) with 1, 3 or 4 channels, or (H, W); got [{string.Join(", ", image.shape)}].", nameof(image));
        using var zero = 0.ToScalar();
        using var one = 1.ToScalar();
        using var full = 255.ToScalar();
        var bytes = chw.is_floating_point() ? (chw.detach().clamp(zero, one) * full).round().to(ScalarType.Byte) : chw.to(ScalarType.Byte);
        var pixels = bytes.permute(1, 2, 0).contiguous().cpu().data<byte>().ToArray();
        int channels = (int)chw.shape[0], height = (int)chw.shape[1], width = (int)chw.shape[2];
        Writer()?.WriteImage(Tag(tag), height, width, channels, Png.Encode(pixels, width, height, channels), step);
    }

    /// <summary>Text (Markdown in TensorBoard's text tab), as <c>add_text</c>.</summary>
    public void AddText(string tag, string text, long step)
    {
        ArgumentNullException.ThrowIfNull(text);
        Writer()?.WriteText(Tag(tag), text, step);
    }

    /// <summary>Writes what is buffered.</summary>
    public void Flush() => Writer()?.Flush();

    private EventFileWriter? Writer() => open?.Invoke();

    private static string Tag(string tag) => string.IsNullOrEmpty(tag) ? throw new ArgumentException("A summary needs a tag.", nameof(tag)) : tag;
}
