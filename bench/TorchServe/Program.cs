// Classifies the first N MNIST test digits with the MNIST sample's checkpoint on TorchSharp, timed as samples/OnnxServe
// times ONNX Runtime (from the process's start to the first digit classified):
//   dotnet TorchServe.dll <best.ckpt> [--count N]
using System.Diagnostics;
using System.Globalization;
using MnistClassifier;
using static TorchSharp.torch;

if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "--count"))
{
    Console.Error.WriteLine("usage: TorchServe <best.ckpt> [--count N]");
    return 2;
}
int count = args.Length == 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : int.MaxValue;
var (images, labels) = MnistIdx.Read(MnistIdx.BundledData(), "t10k");
count = Math.Min(count, labels.Length);

var model = LitClassifier.LoadFromCheckpoint(args[0]);
model.eval();
Tensor Digits(int start, int length) => tensor(images.AsSpan(start * 784, length * 784).ToArray(), ScalarType.Byte)
    .reshape(length, 1, 28, 28).to(ScalarType.Float32).div(255).sub(0.1307).div(0.3081);

using var noGrad = no_grad();
long first;
using (NewDisposeScope()) first = model.Forward(Digits(0, 1)).argmax(1).item<long>();
var coldStart = DateTime.Now - Process.GetCurrentProcess().StartTime;

var clock = Stopwatch.StartNew();
int correct = 0;
for (int start = 0; start < count; start += 256)
{
    using var scope = NewDisposeScope();
    int batch = Math.Min(256, count - start);
    var predicted = model.Forward(Digits(start, batch)).argmax(1).data<long>().ToArray();
    for (int i = 0; i < batch; i++) correct += predicted[i] == labels[start + i] ? 1 : 0;
}
clock.Stop();

Console.WriteLine($"first digit: {first}, label {labels[0]}");
Console.WriteLine($"cold start: {coldStart.TotalMilliseconds:0} ms from process start to the first digit classified");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test_acc={(double)correct / count:0.0000} ({correct} of {count} digits)"));
Console.WriteLine($"throughput: {count / clock.Elapsed.TotalSeconds:0} digits/s in batches of 256");
return 0;
