 mx.google.com;
       dkim=pass header.i=@example.com header.s=20230601 header.b=Kx0ZbQ3v;
       arc=pass (i=1 spf=pass spfdomain=lists.example.org dkim=pass dkdomain=example.org dmarc=pass fromdomain=example.org);
       spf=pass (google.com: domain of alice@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com